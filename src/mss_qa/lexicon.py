"""Word lists the checks use: nationality adjectives and their countries ("Kenyan" and
"Kenya"), the names of months and weekdays, and how a year is written."""

from __future__ import annotations

# Lower case, in calendar order.
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A year written in digits, 1800-2099 (a regular expression).
YEAR = r"(?:1[89]|20)\d\d"

# Nationality adjectives and their countries (lower case, accents folded).
COUNTRY_OF = {
    "afghan": "afghanistan", "albanian": "albania", "algerian": "algeria",
    "angolan": "angola", "argentine": "argentina", "argentinian": "argentina",
    "armenian": "armenia", "australian": "australia", "austrian": "austria",
    "azerbaijani": "azerbaijan", "bahamian": "bahamas", "bangladeshi": "bangladesh",
    "barbadian": "barbados", "belarusian": "belarus", "belgian": "belgium",
    "belizean": "belize", "beninese": "benin", "bolivian": "bolivia", "bosnian": "bosnia",
    "botswanan": "botswana", "brazilian": "brazil", "british": "britain",
    "bulgarian": "bulgaria", "burkinabe": "burkina faso", "burundian": "burundi",
    "cambodian": "cambodia", "cameroonian": "cameroon", "canadian": "canada",
    "chadian": "chad", "chilean": "chile", "chinese": "china", "colombian": "colombia",
    "congolese": "congo", "costa rican": "costa rica", "croatian": "croatia",
    "cuban": "cuba", "cypriot": "cyprus", "czech": "czech", "danish": "denmark",
    "dominican": "dominica", "dutch": "netherlands", "ecuadorian": "ecuador",
    "egyptian": "egypt", "salvadoran": "el salvador", "salvadorean": "el salvador",
    "eritrean": "eritrea", "estonian": "estonia", "ethiopian": "ethiopia",
    "fijian": "fiji", "filipino": "philippines", "finnish": "finland", "french": "france",
    "gabonese": "gabon", "gambian": "gambia", "georgian": "georgia", "german": "germany",
    "ghanaian": "ghana", "greek": "greece", "grenadian": "grenada",
    "guatemalan": "guatemala", "guinean": "guinea", "guyanese": "guyana",
    "haitian": "haiti", "honduran": "honduras", "hungarian": "hungary",
    "icelandic": "iceland", "indian": "india", "indonesian": "indonesia",
    "iranian": "iran", "iraqi": "iraq", "irish": "ireland", "israeli": "israel",
    "italian": "italy", "ivorian": "ivory coast", "jamaican": "jamaica",
    "japanese": "japan", "jordanian": "jordan", "kazakh": "kazakhstan", "kenyan": "kenya",
    "korean": "korea", "kuwaiti": "kuwait", "lebanese": "lebanon", "liberian": "liberia",
    "libyan": "libya", "lithuanian": "lithuania", "malagasy": "madagascar",
    "malawian": "malawi", "malaysian": "malaysia", "malian": "mali",
    "mauritanian": "mauritania", "mexican": "mexico", "moroccan": "morocco",
    "mozambican": "mozambique", "namibian": "namibia", "nepalese": "nepal",
    "nepali": "nepal", "nicaraguan": "nicaragua", "nigerien": "niger",
    "nigerian": "nigeria", "norwegian": "norway", "pakistani": "pakistan",
    "palestinian": "palestine", "panamanian": "panama", "paraguayan": "paraguay",
    "peruvian": "peru", "polish": "poland", "portuguese": "portugal",
    "qatari": "qatar", "romanian": "romania", "russian": "russia", "rwandan": "rwanda",
    "saudi": "saudi arabia", "senegalese": "senegal", "serbian": "serbia",
    "somali": "somalia", "south african": "south africa", "spanish": "spain",
    "sri lankan": "sri lanka", "sudanese": "sudan", "surinamese": "suriname",
    "swedish": "sweden", "swiss": "switzerland", "syrian": "syria",
    "taiwanese": "taiwan", "tanzanian": "tanzania", "thai": "thailand",
    "togolese": "togo", "trinidadian": "trinidad", "tunisian": "tunisia",
    "turkish": "turkey", "ugandan": "uganda", "ukrainian": "ukraine",
    "emirati": "emirates", "uruguayan": "uruguay", "uzbek": "uzbekistan",
    "venezuelan": "venezuela", "vietnamese": "vietnam", "yemeni": "yemen",
    "zambian": "zambia", "zimbabwean": "zimbabwe",
}
