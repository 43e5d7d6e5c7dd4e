"""The fixed lists the demo city is made from: its districts, streets and communities, departments, contractors,
property companies and estates, points per street, and one demo user per role. ``composition.demo`` seeds them.
"""
from portal.auth.models import Role
from portal.registry.models import PointKind

CITY_CODE = "CITY"
CITY_CENTRE = (30.270, 120.150)

# (code, name, English, centre offset (lat, lon), streets); street: (code, name, English, roads, communities);
# community: (code, name, pinyin). Names ending in 村 are villages.
DISTRICTS = (
    ("DC", "东城区", "Dongcheng District", (0.004, 0.035), (
        ("DH", "东华街道", "Donghua Subdistrict", ("东华路", "解放路", "柳荫街", "槐树巷"),
         (("LY", "柳荫社区", "Liuyin"), ("DHM", "东华门社区", "Donghuamen"), ("HS", "槐树社区", "Huaishu"))),
        ("WC", "文昌街道", "Wenchang Subdistrict", ("文昌路", "人民路", "书院街", "学府路"),
         (("WCG", "文昌阁社区", "Wenchangge"), ("SY", "书院社区", "Shuyuan"), ("XF", "学府社区", "Xuefu"))),
        ("LX", "柳巷街道", "Liuxiang Subdistrict", ("柳巷路", "金桥路", "胜利路", "建设路"),
         (("LX", "柳巷社区", "Liuxiang"), ("JQ", "金桥社区", "Jinqiao"))),
    )),
    ("NH", "南湖区", "Nanhu District", (-0.030, -0.005), (
        ("HB", "湖滨街道", "Hubin Subdistrict", ("湖滨路", "荷花路", "望湖路", "中山路"),
         (("HB", "湖滨社区", "Hubin"), ("HH", "荷花社区", "Hehua"), ("WH", "望湖社区", "Wanghu"))),
        ("NY", "南苑街道", "Nanyuan Subdistrict", ("南苑路", "枫林路", "和平路", "文化路"),
         (("NY", "南苑社区", "Nanyuan"), ("FL", "枫林社区", "Fenglin"))),
        ("XQ", "新桥街道", "Xinqiao Subdistrict", ("新桥路", "锦绣路", "滨江大道", "商贸街"),
         (("XQ", "新桥社区", "Xinqiao"), ("JX", "锦绣社区", "Jinxiu"), ("BJ", "滨江社区", "Binjiang"))),
    )),
    ("BS", "北山县", "Beishan County", (0.070, -0.020), (
        ("QS", "青石镇", "Qingshi Town", ("青石大道", "石桥路", "龙井路"),
         (("QS", "青石社区", "Qingshi"), ("SQ", "石桥村", "Shiqiao"), ("LJ", "龙井村", "Longjing"))),
        ("TY", "桃源乡", "Taoyuan Township", ("桃源路", "杏花路", "溪口路"),
         (("TY", "桃源村", "Taoyuan"), ("XH", "杏花村", "Xinghua"))),
    )),
)

# (code, name, English, sector of portal.taxonomy.SECTORS it answers for)
DEPARTMENTS = (
    ("U-CGJ", "市城管局", "Urban Management Bureau", "urban_management"),
    ("U-HWC", "市环卫处", "Sanitation Department", "sanitation"),
    ("U-SZC", "市政工程处", "Municipal Engineering Department", "municipal"),
    ("U-YLJ", "市园林局", "Parks and Greenery Bureau", "landscaping"),
    ("U-ZJJ", "市住建局", "Housing and Urban-Rural Development Bureau", "housing"),
    ("U-JJZD", "市交警支队", "Traffic Police Detachment", "traffic_police"),
    ("U-SCJG", "市市场监管局", "Market Regulation Bureau", "market_regulation"),
    ("U-WJW", "市卫健委", "Health Commission", "health"),
    ("U-STHJ", "市生态环境局", "Ecology and Environment Bureau", "environment"),
)
# No citywide department for property management: the housing bureau supervises property companies.
SECTOR_UNITS = {sector: code for code, _n, _e, sector in DEPARTMENTS} | {"property": "U-ZJJ"}

COMMITTEES = ("DC-DH-LY", "NH-HB-HB", "BS-QS-SQ")  # communities/villages with their own 居委会/村委会
CONTRACTORS = (
    ("U-WY-AJ", "安居物业服务有限公司", "Anju Property Services Co."),
    ("U-WY-JH", "锦华物业管理有限公司", "Jinhua Property Management Co."),
    ("U-WY-HP", "湖畔物业服务有限公司", "Hupan Property Services Co."),
    ("U-BJ-JM", "洁美保洁服务有限公司", "Jiemei Cleaning Services Co."),
    ("U-BJ-QY", "清源环境服务有限公司", "Qingyuan Environmental Services Co."),
)
PROPERTY_COMPANIES = ("U-WY-AJ", "U-WY-JH", "U-WY-HP")
ESTATES = ("阳光花园", "锦绣家园", "翠苑小区", "金桥新村", "荷花苑", "望湖公寓", "枫林雅居", "书香门第", "学府名邸",
           "柳岸晓风", "东华小区", "槐荫里", "新桥花苑", "滨江壹号", "南苑新村", "文昌苑", "湖畔人家", "桂花园",
           "丽景湾", "幸福里", "和平小区", "紫荆花园", "明珠花园", "金色家园")

# Points per street: (kind, how many in a subdistrict, how many in a town/township).
POINTS_PER_STREET = (
    (PointKind.TOILET, 4, 3), (PointKind.STREET_LAMP, 6, 3), (PointKind.ROAD, 4, 3), (PointKind.ESTATE, 4, 0),
    (PointKind.MARKET, 1, 1), (PointKind.TRANSFER_STATION, 1, 1), (PointKind.SERVICE_WINDOW, 1, 1),
    (PointKind.SCHOOL, 2, 1), (PointKind.INSPECTION, 1, 0), (PointKind.OTHER, 1, 1),
)

# (username, role, display name); the handler works for the sanitation department, the inspector walks two grids.
USERS = (
    ("admin", Role.ADMIN, "李明"),
    ("dispatcher", Role.DISPATCHER, "王芳"),
    ("operator", Role.OPERATOR, "张丽"),
    ("handler", Role.HANDLER, "刘强"),
    ("inspector", Role.INSPECTOR, "赵磊"),
    ("moderator", Role.MODERATOR, "孙悦"),
    ("leader", Role.LEADER, "周建国"),
)
HANDLER_UNIT = "U-HWC"
INSPECTOR_GRIDS = ("DC-DH-LY-G1", "DC-DH-LY-G2")
