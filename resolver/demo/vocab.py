"""Word lists for the demo world: names, places, streets and business names.

Compact lists written for this project (not downloaded). Weights are rough
relative frequencies; only their ratios matter.
"""

from __future__ import annotations

# fmt: off

# (first name, relative weight) — common US given names, roughly by frequency.
FIRST_NAMES: tuple[tuple[str, int], ...] = (
    ("James", 90), ("John", 88), ("Robert", 85), ("Michael", 84), ("William", 70), ("David", 75),
    ("Richard", 50), ("Joseph", 48), ("Thomas", 46), ("Charles", 44), ("Christopher", 40),
    ("Daniel", 40), ("Matthew", 36), ("Anthony", 30), ("Mark", 30), ("Donald", 28), ("Steven", 28),
    ("Paul", 26), ("Andrew", 26), ("Joshua", 26), ("Kenneth", 22), ("Kevin", 22), ("Brian", 22),
    ("George", 20), ("Timothy", 19), ("Ronald", 19), ("Edward", 18), ("Jason", 18),
    ("Jeffrey", 18), ("Ryan", 17), ("Jacob", 16), ("Gary", 16), ("Nicholas", 16), ("Eric", 15),
    ("Jonathan", 15), ("Stephen", 15), ("Larry", 14), ("Justin", 14), ("Scott", 14),
    ("Brandon", 13), ("Benjamin", 13), ("Samuel", 12), ("Gregory", 12), ("Alexander", 12),
    ("Frank", 12), ("Patrick", 11), ("Raymond", 11), ("Jack", 11), ("Dennis", 10), ("Jerry", 10),
    ("Tyler", 10), ("Aaron", 10), ("Jose", 10), ("Adam", 9), ("Nathan", 9), ("Henry", 9),
    ("Douglas", 9), ("Zachary", 9), ("Peter", 9), ("Kyle", 8), ("Ethan", 8), ("Walter", 8),
    ("Noah", 8), ("Jeremy", 8), ("Christian", 7), ("Keith", 7), ("Roger", 7), ("Terry", 7),
    ("Gerald", 7), ("Harold", 7), ("Sean", 7), ("Austin", 6), ("Carl", 6), ("Arthur", 6),
    ("Lawrence", 6), ("Dylan", 6), ("Jesse", 6), ("Jordan", 6), ("Bryan", 6), ("Billy", 5),
    ("Joe", 5), ("Bruce", 5), ("Gabriel", 5), ("Logan", 5), ("Albert", 5), ("Willie", 5),
    ("Alan", 5), ("Juan", 5), ("Wayne", 5), ("Elijah", 5), ("Randy", 5), ("Roy", 5),
    ("Vincent", 5), ("Ralph", 5), ("Eugene", 4), ("Russell", 4), ("Bobby", 4), ("Mason", 4),
    ("Philip", 4), ("Louis", 4), ("Mary", 80), ("Patricia", 50), ("Jennifer", 48), ("Linda", 45),
    ("Elizabeth", 44), ("Barbara", 42), ("Susan", 40), ("Jessica", 36), ("Sarah", 35),
    ("Karen", 34), ("Lisa", 32), ("Nancy", 30), ("Betty", 26), ("Margaret", 26), ("Sandra", 26),
    ("Ashley", 24), ("Kimberly", 24), ("Emily", 22), ("Donna", 22), ("Michelle", 22),
    ("Carol", 20), ("Amanda", 20), ("Dorothy", 18), ("Melissa", 18), ("Deborah", 18),
    ("Stephanie", 17), ("Rebecca", 17), ("Sharon", 16), ("Laura", 16), ("Cynthia", 16),
    ("Kathleen", 15), ("Amy", 15), ("Angela", 15), ("Shirley", 14), ("Anna", 14), ("Brenda", 14),
    ("Pamela", 13), ("Emma", 13), ("Nicole", 13), ("Helen", 12), ("Samantha", 12),
    ("Katherine", 12), ("Christine", 12), ("Debra", 11), ("Rachel", 11), ("Carolyn", 11),
    ("Janet", 11), ("Catherine", 11), ("Maria", 11), ("Heather", 10), ("Diane", 10), ("Ruth", 10),
    ("Julie", 10), ("Olivia", 10), ("Joyce", 9), ("Virginia", 9), ("Victoria", 9), ("Kelly", 9),
    ("Lauren", 9), ("Christina", 9), ("Joan", 8), ("Evelyn", 8), ("Judith", 8), ("Megan", 8),
    ("Andrea", 8), ("Cheryl", 8), ("Hannah", 8), ("Jacqueline", 7), ("Martha", 7), ("Gloria", 7),
    ("Teresa", 7), ("Ann", 7), ("Sara", 7), ("Madison", 7), ("Frances", 6), ("Kathryn", 6),
    ("Janice", 6), ("Jean", 6), ("Abigail", 6), ("Alice", 6), ("Judy", 6), ("Sophia", 6),
    ("Grace", 6), ("Denise", 6), ("Amber", 5), ("Doris", 5), ("Marilyn", 5), ("Danielle", 5),
    ("Beverly", 5), ("Isabella", 5), ("Theresa", 5), ("Diana", 5), ("Natalie", 5), ("Brittany", 5),
    ("Charlotte", 5), ("Marie", 5), ("Kayla", 5), ("Alexis", 4), ("Lori", 4), ("Tiffany", 4),
    ("Rose", 4), ("Kathy", 4), ("Tammy", 4), ("Connie", 4), ("Peggy", 4), ("Valerie", 4),
    ("Wendy", 4), ("Dawn", 4), ("Vanessa", 4), ("Tracy", 4), ("Sue", 3), ("Erin", 3), ("Holly", 3),
    ("Monica", 3), ("Rita", 3), ("Gail", 3), ("Leslie", 3), ("Carmen", 3), ("Rosa", 3),
    ("Yolanda", 3), ("Priya", 2), ("Wei", 2), ("Mohammed", 2), ("Ahmed", 2), ("Aisha", 2),
    ("Hiroshi", 1), ("Mei", 2), ("Raj", 2), ("Anil", 1), ("Fatima", 2), ("Luis", 4), ("Carlos", 4),
    ("Miguel", 3), ("Jorge", 3), ("Pedro", 2), ("Francisco", 3), ("Alejandro", 2),
    ("Guadalupe", 2), ("Ana", 3), ("Lucia", 2),
)

# Surnames in rough frequency rank order; weights are Zipf-like by rank.
SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
    "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes",
    "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods",
    "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker",
    "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
    "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer",
    "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills",
    "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto",
    "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
    "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight",
    "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews",
    "Pena", "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Guerrero",
    "George", "Chapman", "Rios", "Estrada", "Ortega", "Watkins", "Greene", "Nunez", "Wheeler",
    "Valdez", "Harper", "Burke", "Larson", "Santiago", "Maldonado", "Morrison", "Franklin",
    "Carlson", "Austin", "Dominguez", "Carr", "Lawson", "Jacobs", "OBrien", "Lynch", "Singh",
    "Vega", "Bishop", "Montgomery", "Oliver", "Jensen", "Harvey", "Williamson", "Gilbert", "Dean",
    "Sims", "Espinoza", "Howell", "Li", "Wong", "Reid", "Hanson", "Le", "McCoy", "Garrett",
    "Burton", "Fuller", "Wang", "Weber", "Welch", "Rojas", "Lucas", "Marquez", "Fields", "Park",
    "Yang", "Little", "Banks", "Padilla", "Day", "Walsh", "Bowman", "Schultz", "Luna", "Fowler",
    "Mejia", "Davidson", "Acosta", "Brewer", "May", "Holland", "Juarez", "Newman", "Pearson",
    "Curtis", "Cortez", "Douglas", "Schneider", "Joseph", "Barrett", "Navarro", "Figueroa",
    "Keller", "Avila", "Wade", "Molina", "Stanley", "Hopkins", "Campos", "Barnett", "Bates",
    "Kowalski", "Nowak", "Schroeder", "Lindqvist", "OConnor", "McKenzie", "Novak",
)

# (city, state, ZIP3 prefix, area code, branch code, relative weight)
CITIES: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("Chicago", "IL", "606", "312", "CHI", 120), ("Chicago", "IL", "606", "773", "CHI", 80),
    ("Evanston", "IL", "602", "847", "CHI", 10), ("Skokie", "IL", "600", "847", "CHI", 8),
    ("Schaumburg", "IL", "601", "847", "CHI", 9),
    ("Arlington Heights", "IL", "600", "847", "CHI", 9),
    ("Waukegan", "IL", "600", "847", "CHI", 7), ("Elgin", "IL", "601", "847", "CHI", 9),
    ("Oak Park", "IL", "603", "708", "CHI", 7), ("Cicero", "IL", "608", "708", "CHI", 7),
    ("Orland Park", "IL", "604", "708", "CHI", 7), ("Naperville", "IL", "605", "630", "CHI", 15),
    ("Aurora", "IL", "605", "630", "CHI", 15), ("Wheaton", "IL", "601", "630", "CHI", 6),
    ("Downers Grove", "IL", "605", "630", "CHI", 6), ("Joliet", "IL", "604", "815", "CHI", 12),
    ("Rockford", "IL", "611", "815", "RFD", 14), ("DeKalb", "IL", "601", "815", "RFD", 5),
    ("Kankakee", "IL", "609", "815", "CIL", 4), ("Springfield", "IL", "627", "217", "CIL", 12),
    ("Champaign", "IL", "618", "217", "CIL", 9), ("Urbana", "IL", "618", "217", "CIL", 5),
    ("Decatur", "IL", "625", "217", "CIL", 6), ("Danville", "IL", "618", "217", "CIL", 3),
    ("Quincy", "IL", "623", "217", "CIL", 3), ("Peoria", "IL", "616", "309", "PIA", 11),
    ("Pekin", "IL", "615", "309", "PIA", 3), ("Bloomington", "IL", "617", "309", "PIA", 7),
    ("Normal", "IL", "617", "309", "PIA", 5), ("Galesburg", "IL", "614", "309", "PIA", 3),
    ("Moline", "IL", "612", "309", "QCA", 4), ("Rock Island", "IL", "612", "309", "QCA", 4),
    ("Carbondale", "IL", "629", "618", "STL", 3), ("Belleville", "IL", "622", "618", "STL", 4),
    ("Edwardsville", "IL", "620", "618", "STL", 3), ("Alton", "IL", "620", "618", "STL", 3),
    ("Indianapolis", "IN", "462", "317", "IND", 40), ("Carmel", "IN", "460", "317", "IND", 8),
    ("Fishers", "IN", "460", "317", "IND", 8), ("Fort Wayne", "IN", "468", "260", "FWA", 14),
    ("South Bend", "IN", "466", "574", "FWA", 8), ("Elkhart", "IN", "465", "574", "FWA", 5),
    ("Evansville", "IN", "477", "812", "EVV", 9), ("Bloomington", "IN", "474", "812", "IND", 7),
    ("Terre Haute", "IN", "478", "812", "EVV", 5), ("Lafayette", "IN", "479", "765", "IND", 6),
    ("Muncie", "IN", "473", "765", "IND", 5), ("Kokomo", "IN", "469", "765", "IND", 4),
    ("Gary", "IN", "464", "219", "CHI", 6), ("Hammond", "IN", "463", "219", "CHI", 6),
    ("St. Louis", "MO", "631", "314", "STL", 30), ("St. Charles", "MO", "633", "636", "STL", 7),
    ("O'Fallon", "MO", "633", "636", "STL", 6), ("Kansas City", "MO", "641", "816", "MKC", 30),
    ("St. Joseph", "MO", "645", "816", "MKC", 5), ("Springfield", "MO", "658", "417", "SGF", 11),
    ("Joplin", "MO", "648", "417", "SGF", 4), ("Columbia", "MO", "652", "573", "COU", 8),
    ("Jefferson City", "MO", "651", "573", "COU", 4),
    ("Cape Girardeau", "MO", "637", "573", "STL", 3), ("Milwaukee", "WI", "532", "414", "MKE", 35),
    ("Waukesha", "WI", "531", "262", "MKE", 7), ("Kenosha", "WI", "531", "262", "MKE", 7),
    ("Racine", "WI", "534", "262", "MKE", 6), ("Madison", "WI", "537", "608", "MSN", 20),
    ("Janesville", "WI", "535", "608", "MSN", 5), ("La Crosse", "WI", "546", "608", "MSN", 4),
    ("Green Bay", "WI", "543", "920", "GRB", 8), ("Appleton", "WI", "549", "920", "GRB", 6),
    ("Oshkosh", "WI", "549", "920", "GRB", 5), ("Eau Claire", "WI", "547", "715", "GRB", 5),
    ("Wausau", "WI", "544", "715", "GRB", 4), ("Des Moines", "IA", "503", "515", "DSM", 18),
    ("Ames", "IA", "500", "515", "DSM", 5), ("Cedar Rapids", "IA", "524", "319", "CID", 10),
    ("Iowa City", "IA", "522", "319", "CID", 6), ("Waterloo", "IA", "507", "319", "CID", 5),
    ("Davenport", "IA", "528", "563", "QCA", 9), ("Dubuque", "IA", "520", "563", "CID", 5),
    ("Sioux City", "IA", "511", "712", "DSM", 6), ("Council Bluffs", "IA", "515", "712", "DSM", 5),
)

STREET_NAMES: tuple[str, ...] = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Pine", "Walnut", "Chestnut", "Spruce", "Birch",
    "Willow", "Hickory", "Sycamore", "Poplar", "Ash", "Cherry", "Magnolia", "Washington",
    "Lincoln", "Jefferson", "Madison", "Adams", "Jackson", "Monroe", "Franklin", "Grant", "Wilson",
    "Harrison", "Lake", "Hill", "Park", "River", "Church", "School", "Mill", "Spring", "Prospect",
    "Ridge", "Meadow", "Forest", "Highland", "Sunset", "Center", "Market", "Broadway", "College",
    "Union", "Liberty", "Court", "Front", "Water", "Bridge", "High", "Division", "State", "Grove",
    "Orchard", "Valley", "Woodland", "Fairview", "Pleasant", "Green", "Railroad", "Summit",
    "Country Club", "Lakeview", "Cottage", "Locust", "Dogwood", "Laurel", "Holly", "Juniper",
    "Aspen", "Evergreen", "Heritage", "Kingston", "Wellington", "Windsor", "Brookside",
    "Stonegate", "Fox Run", "Deer Path", "Prairie", "Harvest", "Clover", "Timber", "Canal",
    "Dearborn", "Halsted", "Ashland", "Western", "Kedzie", "Pulaski", "Cicero", "Clark", "Wabash",
    "Michigan", "Grand", "Ogden", "Roosevelt", "Irving Park", "Belmont", "Fullerton", "Diversey",
    "Lawrence", "Devon", "Touhy", "Dempster", "Oakton", "Golf", "Algonquin", "Butterfield",
    "Cermak", "Pershing", "Kingshighway", "Olive", "Delmar", "Troost", "Wornall", "Meridian",
    "Keystone", "College Park",
)

# (abbreviation, spelled out) — as exports write them.
STREET_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("St", "Street"), ("Ave", "Avenue"), ("Rd", "Road"), ("Dr", "Drive"), ("Ln", "Lane"),
    ("Ct", "Court"), ("Blvd", "Boulevard"), ("Way", "Way"), ("Pl", "Place"), ("Cir", "Circle"),
    ("Ter", "Terrace"), ("Pkwy", "Parkway"),
)

STREET_SUFFIX_WEIGHTS: tuple[int, ...] = (
    30, 22, 12, 12, 6, 5, 4, 3, 2, 2, 1, 1,
)

DIRECTIONS: tuple[tuple[str, str], ...] = (
    ("", ""), ("N", "North"), ("S", "South"), ("E", "East"), ("W", "West"),
)

DIRECTION_WEIGHTS: tuple[int, ...] = (
    70, 8, 8, 7, 7,
)

BUSINESS_STEMS: tuple[str, ...] = (
    "Roto", "Acme", "Summit", "Blue Ridge", "Prairie", "Lakeside", "Riverside", "Heartland",
    "Northstar", "Keystone", "Pinnacle", "Cornerstone", "Liberty", "Pioneer", "Sunrise", "Golden",
    "Evergreen", "Oakwood", "Maplewood", "Redwood", "Silver Lake", "Harbor", "Gateway", "Metro",
    "Union", "Crossroads", "Frontier", "Eagle", "Falcon", "Cardinal", "Heritage", "Legacy",
    "Premier", "Elite", "Superior", "Allied", "United", "Capital", "Central", "Midwest",
    "Great Lakes", "Prairie View", "Willow Creek", "Stonebridge", "Brookstone", "Fairway",
    "Main Street", "Parkside", "Hillcrest", "Westgate", "Eastside", "Lincoln", "Jefferson",
    "Madison", "Panda Garden", "Golden Dragon", "Casa Blanca", "La Fiesta", "Mamma Mia", "Corner",
    "Village", "Hometown", "First Choice", "Bright Star", "Green Valley", "Clearwater",
    "Iron Horse", "Red Barn", "Blue Sky", "Silver Spoon", "Copper Kettle", "Oak Hill",
    "Cedar Point", "Twin Oaks", "Three Rivers", "Sandstone", "Granite", "Harvest", "Orchard",
)

BUSINESS_KINDS: tuple[str, ...] = (
    "Property Management", "Apartments", "Realty", "Dental", "Family Dentistry", "Medical Group",
    "Veterinary Clinic", "Restaurant", "Grill", "Pizza", "Cafe", "Bakery", "Diner", "Bar & Grill",
    "Hotel", "Inn", "Motel", "Laundromat", "Car Wash", "Auto Repair", "Fitness", "Salon",
    "Barbershop", "Daycare", "Learning Center", "Church", "Community Church", "Storage",
    "Self Storage", "Market", "Foods", "Hardware", "Pharmacy", "Insurance", "Law Group",
    "Accounting", "Builders", "Construction", "Senior Living", "Nursing Home",
)

LEGAL_SUFFIXES: tuple[str, ...] = (
    "", "", "", "LLC", "Inc", "Inc.", "Co", "Corp", "LLC",
)

# Branch qualifiers of franchises and multi-location businesses.
FRANCHISE_QUALIFIERS: tuple[str, ...] = (
    "North", "South", "East", "West", "Downtown", "Northside", "Westside", "Airport", "Uptown",
    "Lakeshore",
)

PERSON_EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("gmail.com", 40), ("yahoo.com", 14), ("outlook.com", 7), ("hotmail.com", 6),
    ("icloud.com", 8), ("aol.com", 4), ("comcast.net", 6), ("att.net", 5), ("sbcglobal.net", 5),
    ("charter.net", 3), ("msn.com", 2),
)

BUSINESS_EMAIL_LOCALS: tuple[str, ...] = (
    "info", "office", "billing", "ap", "accounts", "admin",
)

# fmt: on
