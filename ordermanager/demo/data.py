"""What a demo store is made of: carts, order histories, customers, places, products, carriers.

Plain data plus ``fill``, which turns a pattern into a plausible value (postcode, tracking number,
payment reference). E-mail addresses and cart URLs use the reserved example domains (RFC 2606), so
a demo store can never mail a real person or call a real shop.
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

from ordermanager.orders.states import PaymentState, ShippingState

LABELS = (
    "Order Received", "Payment Received", "Approved", "On Hold", "Backordered",
    "Drop Shipped", "Item Shipped", "Partially Shipped", "Order Shipped", "Order Cancelled",
    "Order Returned", "Refunded", "Item Cancelled", "Item Returned",
)  # fmt: skip

# The status event that sets each label; the others are only ever set by an operator.
LABEL_EVENTS = {
    "Payment Received": "Payment Received", "Approved": "Order Approved",
    "Backordered": "Item Backordered", "Drop Shipped": "Drop Ship Ordered",
    "Partially Shipped": "Item Shipped", "Order Shipped": "Order Shipped",
    "Order Cancelled": "Order Cancel", "Order Returned": "Order Returned",
}  # fmt: skip

OPERATORS = ("Dana Whitfield", "Marcus Lee", "Priya Raman", "Tomás Ortega")


@dataclass(frozen=True)
class Scenario:
    """Where an order stands: its states, and the labels it went through after Order Received."""

    payment: PaymentState
    shipping: ShippingState
    steps: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.steps[-1] if self.steps else "Order Received"


_P, _S = PaymentState, ShippingState
_RECEIVED = Scenario(_P.UNPAID, _S.UNSHIPPED)
_PAID = Scenario(_P.PAID, _S.UNSHIPPED, ("Payment Received",))
_APPROVED = Scenario(_P.PAID, _S.UNSHIPPED, ("Payment Received", "Approved"))
_ON_HOLD = Scenario(_P.UNPAID, _S.UNSHIPPED, ("On Hold",))
_DEPOSIT = Scenario(_P.PARTIALLY_PAID, _S.UNSHIPPED, ("On Hold",))
_BACKORDERED = Scenario(_P.PAID, _S.UNSHIPPED, ("Payment Received", "Backordered"))
_DROP_SHIP = Scenario(_P.PAID, _S.UNSHIPPED, ("Payment Received", "Drop Shipped"))
_PARTIAL = Scenario(_P.PAID, _S.PARTIALLY_SHIPPED, ("Payment Received", "Partially Shipped"))
_SHIPPED = Scenario(_P.PAID, _S.SHIPPED, ("Payment Received", "Order Shipped"))
_CHECKED = Scenario(_P.PAID, _S.SHIPPED, ("Payment Received", "Approved", "Order Shipped"))
_PART_REFUND = Scenario(_P.PARTIALLY_REFUNDED, _S.SHIPPED, _SHIPPED.steps)
_CANCELLED = Scenario(_P.UNPAID, _S.CANCELLED, ("Order Cancelled",))
_REFUNDED = Scenario(_P.REFUNDED, _S.CANCELLED, ("Payment Received", "Order Cancelled", "Refunded"))
_RETURNED = Scenario(
    _P.REFUNDED, _S.RETURNED, ("Payment Received", "Order Shipped", "Order Returned")
)

# By age in days: new orders wait for payment and shipping; old ones are done, or were cancelled,
# refunded or returned. Each entry: younger than this many days, then scenarios with weights.
SCENARIOS_BY_AGE: tuple[tuple[float, tuple[tuple[Scenario, int], ...]], ...] = (
    (1, ((_RECEIVED, 55), (_PAID, 27), (_APPROVED, 8), (_ON_HOLD, 4), (_DEPOSIT, 1),
         (_CANCELLED, 2), (_SHIPPED, 3))),
    (4, ((_RECEIVED, 8), (_PAID, 12), (_APPROVED, 14), (_ON_HOLD, 3), (_DEPOSIT, 1),
         (_BACKORDERED, 6), (_DROP_SHIP, 4), (_PARTIAL, 8), (_SHIPPED, 32), (_CHECKED, 9),
         (_CANCELLED, 3))),
    (30, ((_APPROVED, 2), (_ON_HOLD, 1), (_BACKORDERED, 3), (_DROP_SHIP, 1), (_PARTIAL, 3),
          (_SHIPPED, 62), (_CHECKED, 17), (_CANCELLED, 4), (_REFUNDED, 2), (_RETURNED, 2),
          (_PART_REFUND, 2), (_DEPOSIT, 1))),
    (float("inf"), ((_SHIPPED, 68), (_CHECKED, 18), (_PARTIAL, 1), (_BACKORDERED, 1),
                    (_CANCELLED, 4), (_REFUNDED, 2), (_RETURNED, 3), (_PART_REFUND, 3))),
)  # fmt: skip

# Hours from the previous step to this one (least, most).
STEP_HOURS = {
    "Payment Received": (0.01, 0.5), "Approved": (0.5, 8.0), "On Hold": (0.2, 24.0),
    "Backordered": (1.0, 24.0), "Drop Shipped": (1.0, 24.0), "Partially Shipped": (6.0, 60.0),
    "Order Shipped": (6.0, 72.0), "Order Cancelled": (1.0, 72.0),
    "Order Returned": (96.0, 480.0),
    "Refunded": (1.0, 48.0),
}  # fmt: skip


@dataclass(frozen=True)
class CartSpec:
    name: str
    kind: str
    base_url: str
    currency: str
    share: int  # relative share of the store's orders
    number_format: str  # the cart's display number, from the cart's own sequence
    number_offset: int
    remote_offset: int
    countries: tuple[str, ...]  # repeated to weight them
    payments: tuple[tuple[str, str], ...]  # method, reference pattern
    quantity_scale: int = 1  # B2B customers order by the case
    company_rate: float = 0.08

    def number(self, sequence: int) -> str:
        return self.number_format.format(sequence + self.number_offset)

    def remote_id(self, sequence: int) -> str:
        return str(sequence + self.remote_offset)

    def sequence_of(self, remote_id: str) -> int:
        return int(remote_id) - self.remote_offset

    def shipping_method(self, chance: float, subtotal: int) -> tuple[str, int]:
        """What the customer chose at checkout and its price in cents; ``chance`` in [0, 1)."""
        if self.quantity_scale > 1:
            return ("Freight (LTL)", 4500) if subtotal > 50_000 else ("Flat Rate", 1500)
        if subtotal >= 7500 and chance < 0.7:
            return "Free Shipping", 0
        if chance < 0.8:
            return "Standard Shipping", 595
        return ("Express Shipping", 1495) if chance < 0.95 else ("Next Day Delivery", 2495)


_STRIPE = ("Credit Card (Stripe)", "ch_3~~~~~~~~~~~~~~~~~~~~~~~")
_PAYPAL = ("PayPal", "*****************")

CARTS = (
    CartSpec(
        "Main Street Woo", "woocommerce", "https://mainstreet.example.com", "USD", 35,
        "{}", 1000, 1000, ("US",), (_STRIPE, _STRIPE, _PAYPAL),
    ),
    CartSpec(
        "Shopify Outlet", "shopify", "https://outlet.example.com", "GBP", 25,
        "#{}", 1000, 5_240_000_000_000, ("GB", "GB", "GB", "IE"),
        (("Shopify Payments", "#############"), ("Shop Pay", "#############"), _PAYPAL),
    ),
    CartSpec(
        "Magento B2B", "magento2", "https://b2b.example.com", "USD", 15,
        "{:09d}", 0, 0, ("US", "US", "US", "CA"),
        (("Purchase Order", "PO-#####"), ("Bank Transfer", "ACH-########"),
         ("Credit Card (Braintree)", "~~~~~~~~")),
        quantity_scale=6, company_rate=0.95,
    ),
    CartSpec(
        "BigCommerce EU", "bigcommerce", "https://eu.example.net", "EUR", 15,
        "{}", 99, 99, ("DE", "DE", "FR", "FR", "NL", "ES", "IT", "IE"),
        (("Credit Card (Adyen)", "################"), _PAYPAL,
         ("Klarna", "~~~~~~~~-~~~~-~~~~-~~~~-~~~~~~~~~~~~")),
    ),
    CartSpec(
        "Custom Cart", "generic", "https://shop.example.org/ordermanager.php", "CAD", 10,
        "WEB-{}", 1000, 70_000, ("CA",),
        (("Credit Card (Authorize.Net)", "##########"), ("Cheque", "CHQ-####")),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    streets: tuple[str, ...]
    number_first: bool  # "12 High Street" or "Hauptstraße 12"
    cities: tuple[tuple[str, str, str, int], ...]  # city, region, postcode pattern, tax (bp)
    phone: str
    carriers: tuple[tuple[str, tuple[str, ...]], ...]  # carrier, its services
    house_max: int = 180  # highest house number on a street

    def address(self, rng: random.Random) -> tuple[str, str, str, str, str, int]:
        """street1, street2, city, region, postcode, and the tax rate there in basis points."""
        street, house = rng.choice(self.streets), rng.randint(1, self.house_max)
        street1 = f"{house} {street}" if self.number_first else f"{street} {house}"
        street2 = rng.choice(STREET2).format(rng.randint(1, 40)) if rng.random() < 0.1 else ""
        city, region, postcode, tax = rng.choice(self.cities)
        return street1, street2, city, region, fill(rng, postcode), tax


_US_CARRIERS = (
    ("UPS", ("Ground", "2nd Day Air", "Next Day Air")),
    ("FedEx", ("Ground", "Express Saver", "2Day")),
    ("USPS", ("Ground Advantage", "Priority Mail", "Priority Mail Express")),
)
_EU_CARRIERS = (("DHL", ("Paket", "Express")), ("DPD", ("Classic",)), ("GLS", ("BusinessParcel",)))

COUNTRIES = {
    "US": Country(
        ("Maple Avenue", "Oak Street", "Cedar Lane", "Washington Boulevard", "Sunset Drive",
         "Lakeview Terrace", "Highland Avenue", "Pine Court", "Mill Road", "Elm Street"), True,
        (("Portland", "OR", "972##", 0), ("Seattle", "WA", "981##", 1025),
         ("Austin", "TX", "787##", 825), ("Brooklyn", "NY", "112##", 888),
         ("Denver", "CO", "802##", 881), ("Columbus", "OH", "432##", 750),
         ("San Diego", "CA", "921##", 775), ("Asheville", "NC", "288##", 700)),
        "(###) 555-01##", _US_CARRIERS, 2400,
    ),
    "CA": Country(
        ("King Street West", "Rue Sainte-Catherine", "Granville Street", "Jasper Avenue",
         "Bank Street", "Robson Street"), True,
        (("Toronto", "ON", "M#@ #@#", 1300), ("Montréal", "QC", "H#@ #@#", 1498),
         ("Vancouver", "BC", "V#@ #@#", 1200), ("Calgary", "AB", "T#@ #@#", 500),
         ("Ottawa", "ON", "K#@ #@#", 1300)),
        "(###) 555-01##", (("Canada Post", ("Expedited Parcel", "Xpresspost")),
                           ("UPS", ("Standard", "Express Saver"))), 900,
    ),
    "GB": Country(
        ("High Street", "Station Road", "Church Lane", "Victoria Road", "The Crescent",
         "Mill Lane", "King's Road", "Green Lane"), True,
        (("London", "", "SW# #@@", 2000), ("Manchester", "Greater Manchester", "M## #@@", 2000),
         ("Leeds", "West Yorkshire", "LS# #@@", 2000), ("Bristol", "", "BS# #@@", 2000),
         ("Edinburgh", "", "EH# #@@", 2000), ("Cardiff", "", "CF## #@@", 2000)),
        "07700 900###", (("Royal Mail", ("Tracked 48", "Tracked 24", "Special Delivery")),
                         ("DPD", ("Next Day",)), ("DHL", ("Express",))),
    ),
    "IE": Country(
        ("Main Street", "O'Connell Street", "Church Road", "Strand Road"), True,
        (("Dublin", "Co. Dublin", "D0# @#@#", 2300), ("Cork", "Co. Cork", "T12 @#@#", 2300),
         ("Galway", "Co. Galway", "H91 @#@#", 2300)),
        "+353 8# ### ####", (("DPD", ("Next Day",)), ("DHL", ("Express",))),
    ),
    "DE": Country(
        ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Lindenallee"), False,
        (("Berlin", "Berlin", "10###", 1900), ("München", "Bayern", "80###", 1900),
         ("Hamburg", "Hamburg", "20###", 1900), ("Köln", "Nordrhein-Westfalen", "50###", 1900)),
        "+49 30 ########", _EU_CARRIERS,
    ),
    "FR": Country(
        ("rue de la Paix", "avenue Victor Hugo", "boulevard Saint-Michel", "rue des Lilas"), True,
        (("Paris", "Île-de-France", "750##", 2000), ("Lyon", "Auvergne-Rhône-Alpes", "690##", 2000),
         ("Bordeaux", "Nouvelle-Aquitaine", "330##", 2000)),
        "+33 6 ## ## ## ##", (("Colissimo", ("Domicile",)), *_EU_CARRIERS),
    ),
    "NL": Country(
        ("Kerkstraat", "Prinsengracht", "Dorpsstraat", "Molenweg"), False,
        (("Amsterdam", "Noord-Holland", "10## @@", 2100), ("Utrecht", "Utrecht", "35## @@", 2100),
         ("Rotterdam", "Zuid-Holland", "30## @@", 2100)),
        "+31 6 ########", (("PostNL", ("Standaard",)), *_EU_CARRIERS),
    ),
    "ES": Country(
        ("Calle Mayor", "Avenida de la Constitución", "Paseo de Gracia"), False,
        (("Madrid", "Madrid", "28###", 2100), ("Barcelona", "Cataluña", "08###", 2100)),
        "+34 6## ### ###", _EU_CARRIERS,
    ),
    "IT": Country(
        ("Via Roma", "Via Garibaldi", "Corso Vittorio Emanuele II"), False,
        (("Milano", "MI", "201##", 2200), ("Roma", "RM", "001##", 2200),
         ("Firenze", "FI", "501##", 2200)),
        "+39 3## ### ####", _EU_CARRIERS,
    ),
}  # fmt: skip

TRACKING_PATTERNS = {
    "UPS": "1ZW4A77F03########", "FedEx": "############", "USPS": "94001#################",
    "Canada Post": "################", "Royal Mail": "@@#########GB", "DPD": "##############",
    "DHL": "##########", "GLS": "###########", "Colissimo": "6A###########",
    "PostNL": "3S@@@@#######",
}  # fmt: skip

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William",
    "Elizabeth", "Sarah", "Daniel", "Emily", "Matthew", "Olivia", "Ethan", "Sophia", "Liam",
    "Ava", "Noah", "Grace", "Oliver", "Amelia", "Harry", "Isla", "George", "Freya", "Jack",
    "Chloé", "Élodie", "François", "Mathieu", "Camille", "Lukas", "Jürgen", "Anna", "Leonie",
    "Maximilian", "Björn", "Ingrid", "José", "Lucía", "Carmen", "Javier", "Giulia", "Marco",
    "Francesca", "Sven", "Daan", "Sanne", "Priya", "Arjun", "Ananya", "Rahul", "Wei", "Mei",
    "Hiroshi", "Yuki", "Chinedu", "Amara", "Kwame", "Fatima", "Omar", "Aisling", "Siobhán",
    "Niamh", "Łukasz", "Zofia", "Renée", "Malik", "Keisha", "Diego", "Valentina", "Ines",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Thompson", "White", "Clark", "Lewis", "Walker",
    "Hall", "Young", "King", "Wright", "Hughes", "Evans", "Roberts", "Patel", "Khan", "Murphy",
    "Kelly", "Byrne", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Dubois",
    "Lefèvre", "Moreau", "Girard", "García", "Fernández", "López", "Martínez", "Rossi",
    "Russo", "Bianchi", "de Vries", "van den Berg", "Jansen", "Nguyen", "Chen", "Wang", "Kim",
    "Tanaka", "Sato", "Okafor", "Mensah", "Haddad", "Kowalski", "Nowak", "Johansson", "Larsen",
)  # fmt: skip

COMPANIES = (
    "Harbor Supply Co.", "Northwind Traders", "Bluebird Cafés", "Summit Outfitters",
    "Greenleaf Grocers", "Cobalt Office Group", "Riverside Dental", "Atlas Hospitality",
    "Copperline Builders", "Maple & Finch Interiors", "Lakeside School District",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")

STREET2 = ("Apt {}", "Suite {}", "Unit {}", "Floor {}", "Flat {}")

NOTES = (
    "Please leave the parcel at the back door.",
    "Gift - please do not include the invoice.",
    "Call before delivery, the buzzer is broken.",
    "Needed by Friday if at all possible!",
    "Deliver to loading dock 3, PO 4471-B.",
)

# sku, name, price in cents (or pence, euro cents: each cart shows its own currency)
PRODUCTS = (
    ("CF-DRIP-01", "Ceramic Pour-Over Dripper", 2800), ("CF-KETL-12", "Gooseneck Kettle", 6900),
    ("CF-GRND-BR", "Burr Coffee Grinder", 12900), ("CF-BEAN-ETH", "Ethiopia Beans 250 g", 1450),
    ("CF-BEAN-COL", "Colombia Huila 250 g", 1295), ("CF-BEAN-DEC", "Swiss Water Decaf 250 g", 1350),
    ("CF-FLTR-100", "Paper Filters (100)", 650), ("CF-SCAL-01", "Brew Scale with Timer", 4500),
    ("TE-MATC-30", "Ceremonial Matcha 30 g", 2400), ("TE-POT-CI", "Cast Iron Teapot", 5400),
    ("KT-KNIF-CH8", "Chef's Knife 8\"", 8900), ("KT-BORD-WAL", "Walnut Cutting Board", 6400),
    ("KT-PAN-10", "Carbon Steel Pan 10\"", 5900), ("KT-DUTCH-5", "Enamel Dutch Oven 5 qt", 17900),
    ("KT-TOWL-3", "Linen Tea Towels (3)", 2200), ("KT-SPAT-SL", "Silicone Spatula", 1100),
    ("HM-CNDL-CED", "Cedar & Smoke Candle", 3200), ("HM-THRW-WL", "Wool Throw Blanket", 11900),
    ("HM-MUG-SET4", "Stoneware Mug Set (4)", 4800), ("HM-VASE-BUD", "Bud Vase, Matte White", 1800),
    ("HM-PLNT-SNK", "Snake Plant in Ceramic Pot", 3900), ("HM-LAMP-DSK", "Brass Desk Lamp", 9900),
    ("OD-BOTL-750", "Insulated Bottle 750 ml", 3400), ("OD-PACK-24", "Daypack 24 l", 8900),
    ("OD-LAMP-HD", "Rechargeable Headlamp", 3900), ("OD-STOV-TI", "Titanium Camp Stove", 5900),
    ("OD-MUG-TI", "Titanium Camp Mug", 2900), ("OD-SOCK-MW", "Merino Hiking Socks", 2200),
    ("AP-TEE-ORG-M", "Organic Tee, M", 2900), ("AP-TEE-ORG-L", "Organic Tee, L", 2900),
    ("AP-HOOD-GRY", "Heavyweight Hoodie, Grey", 6800), ("AP-CAP-CNV", "Canvas Cap", 2400),
    ("ST-NOTE-A5", "Dot Grid Notebook A5", 1600), ("ST-PEN-FNT", "Fountain Pen, Fine", 4200),
    ("ST-INK-BLU", "Bottled Ink, Blue 50 ml", 1400), ("GF-CARD-25", "Gift Card 25", 2500),
    ("GF-WRAP-01", "Gift Wrapping", 500), ("CL-SOAP-3", "Olive Oil Soap (3 bars)", 1500),
    ("CL-BRSH-DSH", "Beechwood Dish Brush", 900), ("CL-SPRY-GL", "Glass Spray Bottle", 1200),
)  # fmt: skip

FREE_GIFT = ("GIFT-TOTE", "Free Gift: Canvas Tote Bag", 0)

LONG_STREET = (
    "Building 7, Third Floor, Suite 301, c/o Accounts Payable and Goods Inwards Department, "
    "Attention: Receiving Dock B (deliveries Monday to Friday 8am to 4pm only, please ring the "
    "bell twice and wait), Northwest Industrial Estate, former Brick Works site, behind the blue "
    "warehouse next to the railway crossing, gate code 4471, do not leave with the neighbours"
)


@dataclass(frozen=True)
class OddOrder:
    """About one order in ``ODD_ORDER_EVERY`` is odd in one way, to keep every screen honest."""

    customer: str = ""  # with ``email``: replaces the random customer
    email: str = ""
    long_address: bool = False
    free_gift: bool = False


ODD_ORDER_EVERY = 500
ODD_ORDERS = (
    OddOrder("Zoë Ångström", "zoe.angstrom@example.com"),
    OddOrder("Seán O'Brien", "sean.obrien@example.net"),
    OddOrder(long_address=True),
    OddOrder(free_gift=True),
    OddOrder("Søren Kierkegård", "soren.k@example.org"),
    OddOrder("李小龙", "xiaolong.li@example.com"),
    OddOrder("Мария Иванова", "m.ivanova@example.net"),
    OddOrder('Anna "Annie" Lee', "annie.lee@example.org"),
)


def ascii_slug(name: str) -> str:
    """The name as an e-mail address spells it: "Łukasz" gives "lukasz", "de Vries" "devries"."""
    name = name.translate(_NOT_DECOMPOSABLE)
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


_NOT_DECOMPOSABLE = str.maketrans({"Ł": "L", "ł": "l", "ø": "o", "Ø": "O", "ß": "ss"})

_CLASSES = {
    "#": string.digits, "@": string.ascii_uppercase, "*": string.ascii_uppercase + string.digits,
    "~": string.ascii_letters + string.digits,
}  # fmt: skip
_RUNS = re.compile(r"#+|@+|\*+|~+|[^#@*~]+")


def fill(rng: random.Random, pattern: str) -> str:
    """A value shaped like ``pattern``: # a digit, @ a capital, * a capital or digit, ~ any."""
    return "".join([part(rng) for part in _compile(pattern)])


@cache
def _compile(pattern: str) -> tuple[Callable[[random.Random], str], ...]:
    # One random call per run of digits, rather than one per character: fill is on the hot path.
    parts: list[Callable[[random.Random], str]] = []
    for run in _RUNS.findall(pattern):
        if run[0] == "#":
            parts.append(partial(_digits, len(run)))
        elif run[0] in _CLASSES:
            parts.append(partial(_characters, _CLASSES[run[0]], len(run)))
        else:
            parts.append(partial(_text, run))
    return tuple(parts)


def _digits(size: int, rng: random.Random) -> str:
    return str(rng.randrange(10**size)).zfill(size)


def _characters(characters: str, size: int, rng: random.Random) -> str:
    return "".join(rng.choices(characters, k=size))


def _text(text: str, _rng: random.Random) -> str:
    return text
