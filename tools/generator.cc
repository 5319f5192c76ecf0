#include "tools/generator.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/date.h"
#include "engine/ids.h"
#include "engine/json_writer.h"

namespace credlist {
namespace {

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, and integer arithmetic only, so that every platform agrees.

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix(state_ += kGolden); }
  // Uniform in [0, n) (Lemire's multiply-shift; the tiny bias does not matter here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  bool Permille(uint32_t p) { return Below(1000) < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

// Independent streams for the parts of a generated data set.
enum Stream : uint64_t { kEntryStream = 1, kOrgStream = 2, kPersonStream = 3, kPermStream = 4 };

uint64_t StreamBase(uint64_t seed, Stream stream) {
  return Mix(seed ^ (stream * 0xD1B54A32D192ED03ull));
}
uint64_t StreamSeed(uint64_t base, uint64_t index) { return Mix(base + index * kGolden); }

// The first draw of an entry's stream: its list.
ListKind DrawList(Rng& rng) {
  const uint64_t l = rng.Below(1000);
  return l < 300 ? ListKind::kRed : l < 850 ? ListKind::kBlack : ListKind::kWatch;
}

// x -> (x * mul + add) mod m: a bijection of [0, m) when gcd(mul, m) = 1. Distinct subjects get
// distinct identifiers through it, yet neighbouring indices look unrelated. m < 2^32, so the
// arithmetic fits 64 bits.
struct Permutation {
  uint64_t mul = 1, add = 0, m = 1;
  Permutation() = default;
  Permutation(uint64_t modulus, uint64_t seed) : m(modulus) {
    mul = seed % modulus | 1;
    while (std::gcd(mul, m) != 1) mul = (mul + 2) % m;
    add = Mix(seed) % modulus;
  }
  uint64_t operator()(uint64_t x) const { return (x % m * mul + add) % m; }
};

// Weighted choice: cumulative weights computed once per table, then a binary search.
class WeightedIndex {
 public:
  WeightedIndex() = default;
  template <typename T>
  WeightedIndex(const T* items, size_t n) {
    for (size_t i = 0; i < n; ++i) Add(items[i].weight);
  }
  void Add(uint32_t weight) {
    cumulative_.push_back((cumulative_.empty() ? 0 : cumulative_.back()) + weight);
  }
  size_t operator()(Rng& rng) const {
    const auto r = static_cast<uint32_t>(rng.Below(cumulative_.back()));
    return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), r) -
                               cumulative_.begin());
  }

 private:
  std::vector<uint32_t> cumulative_;
};

template <typename T, size_t N>
const T& Weighted(Rng& rng, const T (&items)[N]) {
  static const WeightedIndex index(items, N);
  return items[index(rng)];
}

// Characters of a UTF-8 string made of CJK characters (3 bytes each).
size_t Chars(std::string_view s) { return s.size() / 3; }

// ---------------------------------------------------------------------------------------------
// Places (GB/T 2260): Yingkou, 2108xx.

struct Division {
  const char* code;
  uint32_t weight;
  std::string_view company_prefix[2];  // 营口鑫华贸易有限公司, 大石桥市...
  std::string_view district;           // 站前区老王小吃部 (个体工商户)
  std::string_view coop_prefix;        // 盖州鑫华果业专业合作社
};

constexpr Division kDivisions[] = {
    {"210800", 20, {"营口", "营口市"}, "站前区", "老边"},          // 市本级
    {"210802", 14, {"营口", "营口市"}, "站前区", "老边"},          // 站前区
    {"210803", 12, {"营口", "营口市"}, "西市区", "老边"},          // 西市区
    {"210804", 18, {"营口", "鲅鱼圈"}, "鲅鱼圈区", "鲅鱼圈"},      // 鲅鱼圈区
    {"210811", 8, {"营口", "营口市"}, "老边区", "老边"},           // 老边区
    {"210881", 13, {"盖州", "盖州市"}, "盖州市", "盖州"},          // 盖州市
    {"210882", 15, {"大石桥", "大石桥市"}, "大石桥市", "大石桥"},  // 大石桥市
};
constexpr size_t kMagnesiaDivision = 6;  // 大石桥: 镁 and refractories

// Birthplaces of ID numbers: 20 slots, mostly Yingkou, a few elsewhere in Liaoning.
constexpr const char* kBirthplaces[20] = {
    "210802", "210802", "210802", "210803", "210803", "210803", "210804", "210804", "210804",
    "210811", "210811", "210881", "210881", "210881", "210882", "210882", "210882",
    "210102",  // 沈阳市和平区
    "210203",  // 大连市西岗区
    "211002",  // 辽阳市白塔区
};

// ---------------------------------------------------------------------------------------------
// Names.

struct Surname {
  std::string_view text;
  uint32_t weight;
};
constexpr Surname kSurnames[] = {
    {"王", 90}, {"李", 88}, {"张", 86}, {"刘", 70}, {"陈", 55}, {"杨", 45}, {"赵", 40}, {"黄", 30},
    {"周", 30}, {"吴", 28}, {"孙", 35}, {"于", 30}, {"徐", 22}, {"马", 22}, {"朱", 18}, {"胡", 17},
    {"郭", 20}, {"高", 22}, {"林", 15}, {"何", 12}, {"罗", 10}, {"郑", 12}, {"梁", 12}, {"谢", 9},
    {"宋", 14}, {"唐", 10}, {"许", 10}, {"韩", 14}, {"冯", 12}, {"邓", 9},  {"曹", 10}, {"曾", 6},
    {"彭", 6},  {"肖", 8},  {"田", 10}, {"董", 12}, {"潘", 6},  {"袁", 7},  {"蒋", 6},  {"杜", 9},
    {"吕", 10}, {"丁", 8},  {"任", 8},  {"姜", 12}, {"崔", 10}, {"姚", 6},  {"沈", 6},  {"魏", 8},
    {"苏", 7},  {"关", 8},  {"佟", 6},  {"曲", 6},  {"付", 8},  {"白", 7},  {"孟", 8},  {"侯", 6},
    {"金", 6},  {"单", 4},  {"隋", 3},  {"鞠", 3},  {"宫", 3},  {"车", 3},  {"那", 2},
};

constexpr std::string_view kMaleGiven[] = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华",
    "飞", "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "峰", "建",
    "国", "志", "海", "东", "亮", "成", "立", "新", "文", "宏", "庆", "福", "生", "春", "永",
    "胜", "德", "义", "兴", "良", "金", "洋", "博", "晨", "阳", "军", "振", "忠", "玉", "长",
};
constexpr std::string_view kFemaleGiven[] = {
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "燕", "萍", "红", "梅", "莉",
    "兰", "琳", "洁", "婷", "雪", "慧", "颖", "倩", "晶", "欣", "月", "丹", "凤", "英", "华",
    "玉", "琴", "云", "佳", "楠", "璐", "蕾", "爽", "悦", "微", "春", "秋", "丽", "淑", "桂",
};

// 字号 characters.
constexpr std::string_view kTradeChars[] = {
    "鑫", "华", "盛", "宏", "泰", "恒", "丰", "源", "兴", "达", "昌", "隆", "博", "祥", "瑞",
    "通", "远", "金", "海", "辽", "顺", "利", "安", "宇", "嘉", "诚", "信", "德", "龙", "鹏",
    "天", "正", "永", "东", "新", "合", "汇", "凯", "旭", "晟", "润", "佳", "成", "荣", "福",
    "益", "众", "联", "和", "中", "锦", "辰", "森", "港", "滨", "鼎", "威", "弘", "峰", "航",
    "亿", "万", "世", "广", "明", "光", "星", "阳", "春", "宁", "富", "豪", "骏", "铭", "志",
    "腾", "跃", "冠", "鸿", "泽", "奥", "北", "方", "辉", "乾", "坤", "元", "振", "实", "营",
};

constexpr std::string_view kIndustries[] = {
    "贸易",     "商贸",     "建材",     "物流",     "港务",       "化工",     "石化",
    "镁业",     "机械",     "食品",     "水产",     "果业",       "农业",     "置业",
    "餐饮",     "运输",     "电子",     "科技",     "纺织",       "服装",     "印刷",
    "能源",     "劳务",     "粮油",     "矿业",     "船舶",       "医药",     "钢铁",
    "汽贸",     "塑业",     "建筑工程", "机械制造", "物业管理",   "酒店管理", "汽车销售",
    "网络科技", "塑料制品", "装饰工程", "环保科技", "电力设备",   "家政服务", "文化传媒",
    "国际物流", "商业管理", "石油化工", "建筑安装", "房地产开发", "新材料",   "钢结构",
    "海产品",   "供应链",   "耐火材料", "房地产",   "工贸",       "实业",     "实业",
};
constexpr size_t kTwoCharIndustries = 30;  // kIndustries[0, 30) have two characters
constexpr std::string_view kMagnesiaIndustries[] = {"镁业", "耐火材料", "镁制品", "矿业",
                                                    "镁质材料"};

struct Suffix {
  std::string_view text;
  uint32_t weight;
};
constexpr Suffix kCompanySuffixes[] = {{"有限公司", 80}, {"有限责任公司", 12}, {"股份有限公司", 8}};

constexpr std::string_view kSocietyEnds[] = {"协会", "商会", "行业协会", "促进会"};
constexpr std::string_view kNonProfitEnds[] = {"培训学校", "职业培训学校",     "养老院",
                                               "幼儿园",   "社会工作服务中心", "康复中心"};
constexpr std::string_view kCoopEnds[] = {"果业专业合作社", "养殖专业合作社", "农机专业合作社",
                                          "水产专业合作社", "蔬菜专业合作社"};
constexpr std::string_view kShopEnds[] = {"小吃部", "商店",     "超市",     "汽修部",
                                          "烧烤店", "五金商店", "建材商店", "饭店"};

// ---------------------------------------------------------------------------------------------
// Categories: the lists' types, each with the memoranda of 附件 3 that apply and the deciding
// department of 附件 2.

constexpr uint8_t kLegal = 1 << static_cast<int>(SubjectType::kLegalPerson);
constexpr uint8_t kNatural = 1 << static_cast<int>(SubjectType::kNaturalPerson);
constexpr uint8_t kOther = 1 << static_cast<int>(SubjectType::kOtherOrg);
constexpr uint8_t kOrgs = kLegal | kOther;
constexpr uint8_t kAll = kLegal | kNatural | kOther;

struct Category {
  ListKind list;
  uint8_t subjects;  // bit per SubjectType
  uint32_t weight;
  std::string_view name;
  std::string_view departments[2];  // the second, when present, shares the work
  std::string_view memoranda[2];
  std::string_view extra_memoranda[3];  // added to a third of the entries
  std::string_view conducts[3];
  std::string_view outcome;
  std::string_view basis;
  uint8_t terms_months[3];  // validity from decided_on, one of these
  uint32_t open_permille;   // entries with no end of validity
};

constexpr ListKind R = ListKind::kRed;
constexpr ListKind B = ListKind::kBlack;
constexpr ListKind W = ListKind::kWatch;

// One category a few lines: a table, easier to read than one field a line.
// clang-format off
constexpr Category kCategories[] = {
    // 红名单 (守信联合激励对象)
    {R, kOrgs, 500, "纳税信用A级纳税人", {"市税务局"}, {"R01"}, {},
     {"年度纳税信用评价为A级", "连续三年纳税信用评价为A级"}, "实施纳税信用A级纳税人联合激励",
     "《纳税信用管理办法（试行）》", {12, 12, 36}, 0},
    {R, kLegal, 40, "海关高级认证企业", {"营口海关", "鲅鱼圈海关"}, {"R03"}, {},
     {"通过海关高级认证"}, "适用海关高级认证企业通关便利措施", "《海关企业信用管理办法》",
     {36, 36, 36}, 400},
    {R, kOrgs, 60, "安全生产领域守信生产经营单位", {"市应急管理局"}, {"R04"}, {},
     {"安全生产标准化一级达标", "连续三年未发生生产安全事故"}, "列入安全生产守信联合激励对象",
     "《安全生产领域守信联合激励实施办法》", {36, 36, 24}, 0},
    {R, kLegal, 40, "交通运输工程建设领域守信典型企业", {"市交通运输局"}, {"R05"}, {},
     {"公路建设市场信用评价为AA级"}, "列入守信典型企业联合激励", "《公路建设市场信用信息管理办法》",
     {24, 24, 36}, 0},
    {R, kNatural, 150, "优秀青年志愿者", {"团市委"}, {"R02"}, {},
     {"累计志愿服务时长超过1500小时", "志愿服务事迹突出"}, "授予优秀青年志愿者称号",
     "《优秀青年志愿者守信联合激励行动计划》", {36, 36, 60}, 200},
    {R, kNatural, 100, "诚信营口人", {"市委宣传部"}, {}, {}, {"诚实守信事迹突出"}, "评为诚信营口人",
     "《诚信营口人评选表彰办法》", {36, 36, 60}, 300},
    {R, kNatural, 40, "营口道德模范", {"市委宣传部"}, {}, {}, {"诚实守信道德模范事迹"},
     "评为营口道德模范", "《营口道德模范评选表彰办法》", {36, 60, 60}, 300},
    {R, kAll, 60, "慈善捐赠领域守信主体", {"市民政局"}, {"J03"}, {},
     {"连续三年开展慈善捐赠", "重大灾害中捐赠款物"}, "实施慈善捐赠守信联合激励", "《慈善法》",
     {36, 36, 24}, 0},
    {R, kLegal, 20, "出入境检验检疫守信企业", {"营口海关", "鲅鱼圈海关"}, {"J02"}, {},
     {"检验检疫信用等级为AA级"}, "实施出入境检验检疫守信联合激励",
     "《出入境检验检疫企业信用管理办法》", {24, 24, 36}, 0},
    {R, kLegal, 5, "电子认证服务守信企业", {"市工信局"}, {"J01"}, {}, {"电子认证服务规范运营"},
     "实施电子认证服务守信联合激励", "《电子认证服务管理办法》", {36, 36, 36}, 0},
    {R, kLegal, 80, "守合同重信用企业", {"市市场监督管理局"}, {}, {},
     {"连续两年合同履约率百分之百"}, "公示为守合同重信用企业", "《守合同重信用企业公示办法》",
     {24, 24, 24}, 0},
    {R, kOrgs, 40, "劳动保障守法诚信示范单位", {"市人社局"}, {}, {}, {"三年内无劳动保障违法行为"},
     "评为劳动保障守法诚信示范单位", "《劳动保障守法诚信示范单位评选办法》", {36, 36, 36}, 0},

    // 黑名单 (失信联合惩戒对象)
    {B, kAll, 320, "失信被执行人", {"市中级人民法院"}, {"P06"}, {"P09", "P32", "P33"},
     {"有履行能力而拒不履行生效法律文书确定义务", "以虚假诉讼规避执行", "违反财产报告制度"},
     "纳入失信被执行人名单，限制高消费", "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
     {24, 24, 36}, 450},
    {B, kAll, 90, "重大税收违法案件当事人", {"市税务局"}, {"P15"}, {"P03"},
     {"偷税", "虚开增值税专用发票", "逃避追缴欠税"}, "公布重大税收违法失信案件信息，实施联合惩戒",
     "《重大税收违法失信案件信息公布办法》", {36, 36, 36}, 0},
    {B, kOrgs, 50, "安全生产领域失信生产经营单位", {"市应急管理局"}, {"P07"}, {},
     {"发生较大生产安全事故负有责任", "非法违法组织生产经营建设"}, "纳入安全生产失信联合惩戒对象",
     "《对安全生产领域失信行为开展联合惩戒的实施办法》", {12, 12, 36}, 0},
    {B, kOrgs, 50, "环境保护领域失信生产经营单位", {"市生态环境局"}, {"P08"}, {},
     {"超标排放污染物", "通过暗管偷排污染物", "篡改伪造监测数据"}, "列入环境保护失信黑名单",
     "《中华人民共和国环境保护法》", {36, 36, 24}, 0},
    {B, kAll, 60, "严重拖欠农民工工资用人单位", {"市人社局"}, {"P28"}, {},
     {"克扣、无故拖欠农民工工资数额较大", "拒不支付劳动报酬"}, "列入拖欠农民工工资黑名单",
     "《拖欠农民工工资黑名单管理暂行办法》", {12, 12, 36}, 0},
    {B, kOrgs, 25, "政府采购领域严重违法失信主体", {"市财政局"}, {"P38"}, {},
     {"提供虚假材料谋取中标、成交", "与采购人、其他供应商恶意串通"}, "禁止参加政府采购活动",
     "《中华人民共和国政府采购法》", {12, 24, 36}, 0},
    {B, kAll, 30, "食品药品生产经营严重失信者", {"市市场监督管理局"}, {"P10"}, {},
     {"生产经营不符合食品安全标准的食品", "销售假药"}, "列入食品药品安全严重失信者名单",
     "《中华人民共和国食品安全法》", {60, 60, 36}, 0},
    {B, kLegal, 15, "严重质量违法失信主体", {"市市场监督管理局"}, {"P11"}, {},
     {"生产销售假冒伪劣产品"}, "列入严重质量违法失信名单", "《中华人民共和国产品质量法》",
     {36, 36, 36}, 0},
    {B, kLegal, 15, "海关失信企业", {"营口海关", "鲅鱼圈海关"}, {"P19"}, {},
     {"走私违规", "拖欠应缴税款"}, "实施海关失信企业联合惩戒", "《海关企业信用管理办法》",
     {12, 24, 24}, 200},
    {B, kLegal, 10, "统计领域严重失信企业", {"市统计局"}, {"P42"}, {"P14"}, {"统计造假、弄虚作假"},
     "认定为统计严重失信企业", "《中华人民共和国统计法》", {36, 36, 36}, 0},
    {B, kOrgs, 20, "社会保险领域严重失信企业", {"市人社局"}, {"P40"}, {},
     {"骗取社会保险基金支出", "未按时足额缴纳社会保险费且拒不整改"}, "列入社会保险严重失信名单",
     "《中华人民共和国社会保险法》", {36, 36, 36}, 0},
    {B, kLegal, 20, "房地产领域失信责任主体", {"市住建局"}, {"P22"}, {},
     {"违规预售商品房", "发布虚假房源信息"}, "列入房地产领域失信名单",
     "《中华人民共和国城市房地产管理法》", {36, 36, 36}, 0},
    {B, kAll, 15, "运输物流行业严重违法失信市场主体", {"市交通运输局"}, {"P24"}, {},
     {"非法营运", "严重超载运输"}, "列入运输物流行业失信名单", "《道路运输条例》", {24, 24, 36}, 0},
    {B, kLegal | kNatural, 20, "严重违法失信超限超载运输车辆相关责任主体", {"市交通运输局"},
     {"P16"}, {}, {"一年内违法超限运输超过三次"}, "列入超限超载严重违法失信名单",
     "《公路安全保护条例》", {12, 12, 12}, 0},
    {B, kAll, 10, "农资领域严重失信生产经营单位", {"市农业农村局"}, {"P17"}, {},
     {"生产销售假劣农资"}, "列入农资领域严重失信名单", "《农药管理条例》", {36, 36, 36}, 0},
    {B, kLegal | kNatural, 25, "涉金融严重失信人", {"人民银行营口市中心支行"}, {"P18"}, {},
     {"恶意逃废银行债务", "非法集资"}, "实施涉金融严重失信人联合惩戒",
     "《关于对涉金融严重失信人实施联合惩戒的合作备忘录》", {60, 60, 60}, 200},
    {B, kLegal | kNatural, 8, "会计领域违法失信主体", {"市财政局"}, {"P41"}, {},
     {"伪造、变造会计凭证"}, "列入会计领域违法失信名单", "《中华人民共和国会计法》", {36, 36, 36},
     0},
    {B, kNatural, 8, "严重危害正常医疗秩序失信行为责任人", {"市卫生健康委"}, {"P36"}, {},
     {"殴打医务人员", "在医疗机构聚众滋事"}, "实施联合惩戒", "《治安管理处罚法》", {60, 60, 60}, 0},
    {B, kNatural, 5, "婚姻登记严重失信当事人", {"市民政局"}, {"P29"}, {},
     {"使用伪造证件办理婚姻登记"}, "列入婚姻登记严重失信名单", "《婚姻登记条例》", {60, 60, 60}, 0},
    {B, kAll, 8, "文化市场领域严重违法失信市场主体", {"市文化旅游和广播电视台"}, {"P43"}, {},
     {"违规接纳未成年人进入营业场所"}, "列入文化市场黑名单", "《文化市场黑名单管理办法》",
     {36, 36, 36}, 0},
    {B, kLegal | kNatural, 8, "旅游领域严重失信相关责任主体", {"市文化旅游和广播电视台"}, {"P35"},
     {}, {"组织不合理低价游", "强迫旅游者购物"}, "列入旅游市场黑名单", "《旅游市场黑名单管理办法》",
     {36, 36, 36}, 0},
    {B, kLegal | kNatural, 5, "电子商务领域炒信失信主体", {"市市场监督管理局"}, {"P12"}, {},
     {"组织刷单炒信"}, "实施炒信行为联合惩戒", "《中华人民共和国电子商务法》", {36, 36, 36}, 0},
    {B, kLegal, 40, "严重违法失信企业", {"市市场监督管理局"}, {"P04"}, {},
     {"列入经营异常名录届满3年仍未履行公示义务", "提交虚假材料取得公司登记"},
     "列入严重违法失信企业名单", "《严重违法失信企业名单管理暂行办法》", {60, 60, 60}, 0},
    {B, kLegal | kNatural, 5, "保险领域违法失信相关责任主体", {"营口银保监分局"}, {"P25"}, {},
     {"编造保险事故骗取保险金"}, "列入保险领域失信名单", "《中华人民共和国保险法》", {36, 36, 36},
     0},
    {B, kLegal | kNatural, 5, "家政服务领域失信责任主体", {"市商务局"}, {"P30"}, {},
     {"家政服务中侵害消费者权益"}, "列入家政服务领域失信名单", "《家政服务业管理暂行办法》",
     {36, 36, 36}, 0},
    {B, kLegal, 4, "电力行业严重违法失信市场主体", {"市工信局"}, {"P20"}, {},
     {"窃电、违规交易电能"}, "列入电力行业失信名单", "《中华人民共和国电力法》", {36, 36, 36}, 0},
    {B, kLegal, 3, "石油天然气行业严重违法失信主体", {"市发改委"}, {"P23"}, {},
     {"违法违规开采运输"}, "列入石油天然气行业失信名单", "《石油天然气管道保护法》", {36, 36, 36},
     0},
    {B, kAll, 3, "科研领域失信责任主体", {"市科技局"}, {"P37"}, {},
     {"抄袭、剽窃他人科研成果", "虚报冒领科研经费"}, "列入科研领域失信名单",
     "《中华人民共和国科学技术进步法》", {60, 60, 60}, 0},
    {B, kLegal | kNatural, 4, "知识产权（专利）领域严重失信主体", {"市市场监督管理局"}, {"P39"}, {},
     {"重复专利侵权", "提交非正常专利申请"}, "列入专利领域严重失信名单", "《中华人民共和国专利法》",
     {60, 60, 60}, 0},
    {B, kLegal, 2, "违法失信上市公司相关责任主体", {"市金融发展局"}, {"P05"}, {}, {"信息披露违法"},
     "实施违法失信上市公司联合惩戒", "《中华人民共和国证券法》", {36, 36, 36}, 0},
    {B, kLegal, 3, "出入境检验检疫失信企业", {"营口海关", "鲅鱼圈海关"}, {"J02"}, {},
     {"逃避出入境检验检疫"}, "实施出入境检验检疫失信联合惩戒", "《中华人民共和国进出口商品检验法》",
     {24, 24, 24}, 0},
    {B, kAll, 3, "慈善捐赠领域失信主体", {"市民政局"}, {"J03"}, {}, {"诈捐、骗捐"},
     "实施慈善捐赠失信联合惩戒", "《中华人民共和国慈善法》", {36, 36, 36}, 0},
    {B, kLegal, 3, "国内贸易流通领域严重违法失信主体", {"市商务局"}, {"P27"}, {},
     {"违规发行单用途商业预付卡"}, "列入国内贸易流通领域失信名单", "《单用途商业预付卡管理办法》",
     {36, 36, 36}, 0},
    {B, kLegal | kNatural, 2, "盐行业生产经营严重失信者", {"市市场监督管理局"}, {"P21"}, {},
     {"无证经营食盐批发"}, "列入盐行业严重失信名单", "《食盐专营办法》", {36, 36, 36}, 0},

    // 重点关注名单
    {W, kOrgs, 400, "经营异常名录企业", {"市市场监督管理局"}, {"P04"}, {},
     {"未按规定期限公示年度报告", "通过登记的住所无法联系"}, "列入经营异常名录，重点关注",
     "《企业经营异常名录管理暂行办法》", {36, 36, 36}, 400},
    {W, kAll, 100, "拖欠农民工工资重点关注对象", {"市人社局"}, {"P28"}, {},
     {"拖欠农民工工资尚未达到黑名单认定标准"}, "约谈警示，重点关注",
     "《拖欠农民工工资黑名单管理暂行办法》", {12, 12, 12}, 0},
    {W, kOrgs, 80, "安全生产领域重点关注对象", {"市应急管理局"}, {"P07"}, {},
     {"发生一般生产安全事故"}, "约谈警示，加大检查频次",
     "《对安全生产领域失信行为开展联合惩戒的实施办法》", {12, 12, 12}, 0},
    {W, kOrgs, 80, "环境信用警示企业", {"市生态环境局"}, {"P08"}, {}, {"环境信用评价为警示等级"},
     "约谈警示，加大检查频次", "《企业环境信用评价办法》", {12, 12, 24}, 0},
    {W, kNatural, 60, "旅游不文明行为记录", {"市文化旅游和广播电视台"}, {"P35"}, {},
     {"在旅游活动中扰乱公共秩序", "损毁文物古迹"}, "记入旅游不文明行为记录",
     "《游客不文明行为记录管理暂行办法》", {12, 24, 24}, 0},
    {W, kLegal | kNatural, 60, "超限超载运输重点关注对象", {"市交通运输局"}, {"P16"}, {},
     {"一年内违法超限运输两次"}, "约谈警示，重点关注", "《公路安全保护条例》", {12, 12, 12}, 0},
    {W, kAll, 80, "纳税信用D级纳税人", {"市税务局"}, {}, {}, {"纳税信用评价为D级"},
     "列为纳税信用D级纳税人，重点监控", "《纳税信用管理办法（试行）》", {12, 12, 24}, 0},
    {W, kLegal, 30, "政府采购不良行为记录", {"市财政局"}, {"P38"}, {},
     {"无正当理由拒不签订政府采购合同"}, "记入政府采购不良行为记录",
     "《中华人民共和国政府采购法实施条例》", {12, 12, 24}, 0},
};
// clang-format on

// The categories open to one (list, subject type), and the memoranda of each category.
struct CategoryTable {
  std::vector<const Category*> choices[kListKinds][3];
  WeightedIndex weights[kListKinds][3];
  uint64_t memoranda[std::size(kCategories)];
  uint64_t extra_memoranda[std::size(kCategories)];
};

uint64_t MemorandaMask(const std::string_view* ids, size_t n) {
  uint64_t mask = 0;
  for (size_t i = 0; i < n; ++i)
    if (!ids[i].empty()) mask |= uint64_t{1} << *ParseMemorandumId(ids[i]);
  return mask;
}

const CategoryTable& Categories() {
  static const CategoryTable table = [] {
    CategoryTable t;
    for (size_t i = 0; i < std::size(kCategories); ++i) {
      const Category& c = kCategories[i];
      for (int s = 0; s < 3; ++s)
        if (c.subjects & (1 << s)) {
          t.choices[static_cast<int>(c.list)][s].push_back(&c);
          t.weights[static_cast<int>(c.list)][s].Add(c.weight);
        }
      t.memoranda[i] = MemorandaMask(c.memoranda, std::size(c.memoranda));
      t.extra_memoranda[i] = MemorandaMask(c.extra_memoranda, std::size(c.extra_memoranda));
    }
    return t;
  }();
  return table;
}

// ---------------------------------------------------------------------------------------------
// Identifiers, packed the way engine/ids.cc packs them (the test checks each against Parse*).

constexpr std::string_view kUsccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";

struct UsccTables {
  int8_t value[256];  // of a USCC character; -1 for others
  int weight[17];     // 3^i mod 31 (GB 32100-2015)
  constexpr UsccTables() : value(), weight() {
    for (int8_t& v : value) v = -1;
    for (size_t i = 0; i < kUsccChars.size(); ++i)
      value[static_cast<uint8_t>(kUsccChars[i])] = static_cast<int8_t>(i);
    for (int i = 0, w = 1; i < 17; ++i, w = w * 3 % 31) weight[i] = w;
  }
};
constexpr UsccTables kUscc{};

int UsccValue(char c) { return kUscc.value[static_cast<uint8_t>(c)]; }

// UsccCheckChar of engine/ids.h, on the hot path of the generator (the test checks every
// generated USCC with ParseUscc).
char UsccCheck(const char* first17) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += UsccValue(first17[i]) * kUscc.weight[i];
  return kUsccChars[(31 - sum % 31) % 31];
}

// IdNumberCheckChar and RegNoCheckDigit of engine/ids.h with their arithmetic in tables, for
// the same reason.
char IdCheck(const char* first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

struct Mod1110Table {
  uint8_t next[11][10];  // ISO 7064 MOD 11,10: p, digit -> the next p
  constexpr Mod1110Table() : next() {
    for (int p = 0; p < 11; ++p)
      for (int d = 0; d < 10; ++d) {
        int s = (p + d) % 10;
        if (s == 0) s = 10;
        next[p][d] = static_cast<uint8_t>(s * 2 % 11);
      }
  }
};
constexpr Mod1110Table kMod1110{};

char RegNoCheck(const char* first14) {
  int p = 10;
  for (int i = 0; i < 14; ++i) p = kMod1110.next[p][first14[i] - '0'];
  return static_cast<char>('0' + (11 - p) % 10);
}

// Calendar dates of the days from 1950 to 2099, computed once: formatting and birth dates look
// them up instead of converting each day.
struct CivilTable {
  static constexpr int kFirstYear = 1950, kLastYear = 2099;
  Day first = DayFromCivil(kFirstYear, 1, 1);
  std::vector<uint32_t> dates;  // year << 16 | month << 8 | day
  CivilTable() {
    const Day end = DayFromCivil(kLastYear + 1, 1, 1);
    dates.reserve(static_cast<size_t>(end - first));
    for (Day d = first; d < end; ++d) {
      const CivilDate c = CivilFromDay(d);
      dates.push_back(static_cast<uint32_t>(c.year << 16 | c.month << 8 | c.day));
    }
  }
};

CivilDate Civil(Day day) {
  static const CivilTable table;
  const auto i = static_cast<uint64_t>(static_cast<int64_t>(day) - table.first);
  if (i >= table.dates.size()) return CivilFromDay(day);
  const uint32_t v = table.dates[i];
  return {static_cast<int>(v >> 16), static_cast<int>(v >> 8 & 0xFF), static_cast<int>(v & 0xFF)};
}

// AddMonths of engine/date.h through the table (the day of month is kept, or the month's last).
Day AddMonthsFast(Day day, int months) {
  const CivilDate c = Civil(day);
  const int total = c.year * 12 + (c.month - 1) + months;
  const int y = total / 12, m = total % 12 + 1;
  int d = c.day;
  while (!IsValidCivil(y, m, d)) --d;
  return DayFromCivil(y, m, d);
}

Key PackUscc(const char* s) {
  Key k;
  for (int i = 0; i < 6; ++i) k.hi = k.hi << 5 | static_cast<uint64_t>(UsccValue(s[i]));
  for (int i = 6; i < 18; ++i) k.lo = k.lo << 5 | static_cast<uint64_t>(UsccValue(s[i]));
  k.hi |= static_cast<uint64_t>(KeyType::kUscc) << 60;
  return k;
}

uint64_t DigitsValue(const char* s, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  return v;
}

Key PackIdNumber(const char* s) {
  const uint64_t check = s[17] == 'X' ? 10 : static_cast<uint64_t>(s[17] - '0');
  return Key{static_cast<uint64_t>(KeyType::kIdNumber) << 60, DigitsValue(s, 17) * 11 + check};
}

Key PackRegNo(const char* s) {
  return Key{static_cast<uint64_t>(KeyType::kRegNo) << 60, DigitsValue(s, 15)};
}

void WriteDigits(uint64_t v, char* out, int n) {
  for (int i = n - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
}

// ---------------------------------------------------------------------------------------------
// The plan of a data set: pools of subjects, sized from n.
//
// Organisations (companies, then other organisations) and persons are numbered; a subject's
// identity (name, identifiers, legal representative) is a pure function of its number, so an
// entry that picks a number again lists the same subject again. Each pool has a "good" part
// for the red list and a "bad" part for black and watch; a few red entries pick from the bad
// part (subjects on red and black at once, reported as conflicts).

constexpr uint64_t kLegacyCodes = 100000000;  // 8-digit organisation codes (before 2015)
constexpr uint64_t kNewCodes = 887503681;     // 31^6: MA + 6 characters
constexpr uint64_t kBirthplaceSlots = std::size(kBirthplaces);

struct Plan {
  uint64_t seed;
  uint64_t companies, companies_good;  // org numbers [0, companies)
  uint64_t others, others_good;        // org numbers companies + [0, others)
  uint64_t reps;                       // person numbers [0, reps): legal representatives
  uint64_t naturals, naturals_good;    // person numbers natural_base + [0, naturals)
  uint64_t natural_base;
  Day first_decision, decision_days;
  Day first_birth, birth_days;
  Permutation legacy_code, new_code, reg_no, person;
  uint64_t entry_base, org_base, person_base;

  uint64_t EntrySeed(uint64_t i) const { return StreamSeed(entry_base, i); }
  uint64_t OrgSeed(uint64_t org) const { return StreamSeed(org_base, org); }
  uint64_t PersonSeed(uint64_t p) const { return StreamSeed(person_base, p); }

  Plan(uint64_t n, uint64_t s) : seed(s) {
    companies = std::max<uint64_t>(8, n * 7 / 5);  // ~0.7 n entries: ~1.27 entries a company
    companies_good = std::max<uint64_t>(1, companies * 3 / 10);
    others = std::max<uint64_t>(8, n / 10);
    others_good = std::max<uint64_t>(1, others * 3 / 10);
    reps = std::max<uint64_t>(8, n * 7 / 10);  // fewer than the companies: reps recur
    naturals = std::max<uint64_t>(8, n / 2);
    naturals_good = std::max<uint64_t>(1, naturals * 3 / 10);
    natural_base = reps * 4 / 5;  // a fifth of the reps may be listed themselves
    first_decision = DayFromCivil(2019, 1, 1);
    decision_days = DayFromCivil(2026, 10, 31) - first_decision + 1;
    first_birth = DayFromCivil(1955, 1, 1);
    birth_days = DayFromCivil(2003, 12, 31) - first_birth + 1;
    legacy_code = Permutation(kLegacyCodes, StreamSeed(StreamBase(seed, kPermStream), 1));
    new_code = Permutation(kNewCodes, StreamSeed(StreamBase(seed, kPermStream), 2));
    reg_no = Permutation(kLegacyCodes, StreamSeed(StreamBase(seed, kPermStream), 3));
    person = Permutation(kBirthplaceSlots * 1000 * static_cast<uint64_t>(birth_days),
                         StreamSeed(StreamBase(seed, kPermStream), 4));
    entry_base = StreamBase(seed, kEntryStream);
    org_base = StreamBase(seed, kOrgStream);
    person_base = StreamBase(seed, kPersonStream);
  }
};

void AppendPersonName(uint64_t h, bool male, std::string* out) {
  Rng rng(h);
  out->append(Weighted(rng, kSurnames).text);
  const int given = rng.Permille(700) ? 2 : 1;
  for (int i = 0; i < given; ++i) out->append(male ? rng.Pick(kMaleGiven) : rng.Pick(kFemaleGiven));
}

// A person's ID number (unique to the person number) and name.
struct Person {
  Key id;
  bool male;
  uint64_t name_seed;
};

Person MakePerson(const Plan& plan, uint64_t p) {
  uint64_t v = plan.person(p);
  const char* birthplace = kBirthplaces[v % kBirthplaceSlots];
  v /= kBirthplaceSlots;
  const uint64_t seq = v % 1000;
  const CivilDate birth = Civil(plan.first_birth + static_cast<Day>(v / 1000));
  char s[18];
  std::memcpy(s, birthplace, 6);
  WriteDigits(static_cast<uint64_t>(birth.year), s + 6, 4);
  WriteDigits(static_cast<uint64_t>(birth.month), s + 10, 2);
  WriteDigits(static_cast<uint64_t>(birth.day), s + 12, 2);
  WriteDigits(seq, s + 14, 3);
  s[17] = IdCheck(s);
  return {PackIdNumber(s), seq % 2 == 1, plan.PersonSeed(p)};
}

enum class OrgKind { kCompany, kSociety, kNonProfit, kCoop, kShop };

// An organisation's USCC (unique to the org number), 工商注册号 when it has one, legal
// representative and name.
void FillOrg(const Plan& plan, uint64_t org, OrgKind kind, Entry* e) {
  Rng rng(plan.OrgSeed(org));
  const Division& div = Weighted(rng, kDivisions);
  const size_t div_index = static_cast<size_t>(&div - kDivisions);
  // Registered before 2015 (an 8-digit organisation code and a 工商注册号) or after (MA...).
  const bool registers_with_aic =
      kind == OrgKind::kCompany || kind == OrgKind::kCoop || kind == OrgKind::kShop;
  const bool legacy = registers_with_aic && org < kLegacyCodes && rng.Permille(400);

  char s[18];
  switch (kind) {
    case OrgKind::kCompany:
      s[0] = '9', s[1] = '1';
      break;
    case OrgKind::kShop:
      s[0] = '9', s[1] = '2';
      break;
    case OrgKind::kCoop:
      s[0] = '9', s[1] = '3';
      break;
    case OrgKind::kSociety:
      s[0] = '5', s[1] = '1';
      break;
    case OrgKind::kNonProfit:
      s[0] = '5', s[1] = '2';
      break;
  }
  std::memcpy(s + 2, div.code, 6);
  if (legacy) {
    WriteDigits(plan.legacy_code(org), s + 8, 8);
  } else {
    uint64_t v = plan.new_code(org);
    s[8] = 'M', s[9] = 'A';
    for (int i = 15; i >= 10; --i, v /= 31) s[i] = kUsccChars[v % 31];
  }
  s[16] = OrgCodeCheckChar(std::string_view(s + 8, 8));
  s[17] = UsccCheck(s);
  e->uscc = PackUscc(s);

  e->reg_no = {};
  if (legacy) {
    char r[15];
    std::memcpy(r, div.code, 6);
    WriteDigits(plan.reg_no(org), r + 6, 8);
    r[14] = RegNoCheck(r);
    e->reg_no = PackRegNo(r);
  }

  const Person rep = MakePerson(plan, rng.Below(plan.reps));
  e->legal_rep.clear();
  AppendPersonName(rep.name_seed, rep.male, &e->legal_rep);
  e->legal_rep_id = rep.id;

  std::string& name = e->name;
  name.clear();
  switch (kind) {
    case OrgKind::kCompany: {
      const std::string_view prefix = div.company_prefix[rng.Permille(250)];
      name.append(prefix);
      name.append(rng.Pick(kTradeChars));
      name.append(rng.Pick(kTradeChars));
      std::string_view suffix = Weighted(rng, kCompanySuffixes).text;
      std::string_view industry = div_index == kMagnesiaDivision && rng.Permille(400)
                                      ? rng.Pick(kMagnesiaIndustries)
                                      : rng.Pick(kIndustries);
      // Names of at most 12 characters: long parts give way to short ones.
      const size_t budget = 12 - Chars(name);
      if (Chars(suffix) + Chars(industry) > budget) suffix = kCompanySuffixes[0].text;
      if (Chars(suffix) + Chars(industry) > budget)
        industry = kIndustries[rng.Below(kTwoCharIndustries)];
      name.append(industry);
      name.append(suffix);
      break;
    }
    case OrgKind::kSociety:
      name.append("营口市");
      name.append(kIndustries[rng.Below(kTwoCharIndustries)]);
      name.append(rng.Pick(kSocietyEnds));
      break;
    case OrgKind::kNonProfit:
      name.append("营口");
      name.append(rng.Pick(kTradeChars));
      name.append(rng.Pick(kTradeChars));
      name.append(rng.Pick(kNonProfitEnds));
      break;
    case OrgKind::kCoop:
      name.append(div.coop_prefix);
      name.append(rng.Pick(kTradeChars));
      name.append(rng.Pick(kTradeChars));
      name.append(rng.Pick(kCoopEnds));
      break;
    case OrgKind::kShop:
      // 个体工商户: named after its operator, who is the legal representative here.
      name.append(div.district);
      name.append(e->legal_rep, 0, 3);  // the surname
      name.append(rng.Permille(500) ? "记" : "氏");
      name.append(rng.Pick(kShopEnds));
      break;
  }
}

OrgKind OtherOrgKind(uint64_t other_index, uint64_t seed) {
  static constexpr OrgKind kKinds[] = {OrgKind::kSociety, OrgKind::kNonProfit, OrgKind::kCoop,
                                       OrgKind::kShop};
  return kKinds[Mix(seed ^ Mix(other_index + 0x0D7E)) % 4];
}

void AppendSequence(uint64_t v, std::string* out) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  for (; n < 7; ++n) buf[n] = '0';
  while (n) out->push_back(buf[--n]);
}

// Writes "YYYY-MM-DD" into out[0, 10).
void FormatDay(Day day, char* out) {
  const CivilDate c = Civil(day);
  WriteDigits(static_cast<uint64_t>(c.year), out, 4);
  out[4] = '-';
  WriteDigits(static_cast<uint64_t>(c.month), out + 5, 2);
  out[7] = '-';
  WriteDigits(static_cast<uint64_t>(c.day), out + 8, 2);
}

// Values the code makes (identifiers, dates, enum names, memorandum ids) never need escaping:
// they go to JsonWriter::Raw already quoted, which saves the escaping scan of String.
void DateOrNull(JsonWriter& w, std::string_view name, Day day) {
  w.Key(name);
  if (day == kNoDay || day == kForever) {
    w.Null();
    return;
  }
  char buf[12];
  buf[0] = buf[11] = '"';
  FormatDay(day, buf + 1);
  w.Raw(std::string_view(buf, 12));
}

void KeyOrNull(JsonWriter& w, std::string_view name, const Key& key) {
  w.Key(name);
  if (key.empty()) {
    w.Null();
    return;
  }
  char buf[20];
  const size_t n = FormatKeyTo(key, buf + 1);
  buf[0] = buf[n + 1] = '"';
  w.Raw(std::string_view(buf, n + 2));
}

struct QuotedNames {
  std::string lists[kListKinds], subjects[3], states[7], exits[8], memoranda[kMemoranda];
};

const QuotedNames& Quoted() {
  static const QuotedNames names = [] {
    auto quote = [](std::string_view s) {
      std::string q(s.size() + 2, '"');
      s.copy(q.data() + 1, s.size());
      return q;
    };
    QuotedNames q;
    for (int i = 0; i < kListKinds; ++i) q.lists[i] = quote(ListKindName(static_cast<ListKind>(i)));
    for (int i = 0; i < 3; ++i) q.subjects[i] = quote(SubjectTypeName(static_cast<SubjectType>(i)));
    for (int i = 0; i < 7; ++i) q.states[i] = quote(StateName(static_cast<State>(i)));
    for (int i = 0; i < 8; ++i) q.exits[i] = quote(ExitReasonName(static_cast<ExitReason>(i)));
    for (int i = 0; i < kMemoranda; ++i) q.memoranda[i] = quote(MemorandumId(i));
    return q;
  }();
  return names;
}

// Entry i of the plan. `numbers` counts the entries of each list so far (entry ids are numbered
// per list); the entry's list's count goes up by one.
void FillEntry(const Plan& plan, uint64_t i, uint64_t numbers[kListKinds], Entry& e) {
  const CategoryTable& categories = Categories();
  static constexpr char kListLetters[kListKinds] = {'R', 'B', 'W'};
  Rng rng(plan.EntrySeed(i));
  e.list = DrawList(rng);
  const uint64_t t = rng.Below(1000);
  e.subject_type = t < 700   ? SubjectType::kLegalPerson
                   : t < 950 ? SubjectType::kNaturalPerson
                             : SubjectType::kOtherOrg;
  const bool red = e.list == ListKind::kRed;
  // Red subjects from the good part of a pool; black and watch (and 2% of red) from the rest.
  const bool good = red && !rng.Permille(20);
  auto pick = [&](uint64_t size, uint64_t good_size) {
    return good ? rng.Below(good_size) : good_size + rng.Below(size - good_size);
  };

  e.entry_id.clear();
  e.entry_id.push_back(kListLetters[static_cast<int>(e.list)]);
  e.entry_id.append("-2108-");
  AppendSequence(++numbers[static_cast<int>(e.list)], &e.entry_id);

  switch (e.subject_type) {
    case SubjectType::kLegalPerson:
      FillOrg(plan, pick(plan.companies, plan.companies_good), OrgKind::kCompany, &e);
      e.id_number = {};
      e.id_type.clear();
      break;
    case SubjectType::kOtherOrg: {
      const uint64_t other = pick(plan.others, plan.others_good);
      FillOrg(plan, plan.companies + other, OtherOrgKind(other, plan.seed), &e);
      e.id_number = {};
      e.id_type.clear();
      break;
    }
    case SubjectType::kNaturalPerson: {
      const Person p =
          MakePerson(plan, plan.natural_base + pick(plan.naturals, plan.naturals_good));
      e.name.clear();
      AppendPersonName(p.name_seed, p.male, &e.name);
      e.id_number = p.id;
      e.id_type.assign("居民身份证");
      e.uscc = {};
      e.reg_no = {};
      e.legal_rep.clear();
      e.legal_rep_id = {};
      break;
    }
  }

  const int li = static_cast<int>(e.list), si = static_cast<int>(e.subject_type);
  const Category& c = *categories.choices[li][si][categories.weights[li][si](rng)];
  const size_t ci = static_cast<size_t>(&c - kCategories);
  e.category.assign(c.name);
  e.department.assign(c.departments[1].empty() ? c.departments[0] : c.departments[rng.Below(2)]);
  size_t conducts = 1;
  while (conducts < std::size(c.conducts) && !c.conducts[conducts].empty()) ++conducts;
  e.conduct.assign(c.conducts[rng.Below(conducts)]);
  e.outcome.assign(c.outcome);
  e.basis.assign(c.basis);
  e.memoranda = categories.memoranda[ci];
  if (categories.extra_memoranda[ci] && rng.Permille(333))
    e.memoranda |= categories.extra_memoranda[ci];

  e.decided_on = plan.first_decision + static_cast<Day>(rng.Below(plan.decision_days));
  e.valid_from = e.decided_on;
  e.valid_until = rng.Permille(c.open_permille)
                      ? kForever
                      : AddMonthsFast(e.decided_on, c.terms_months[rng.Below(3)]);
  e.state = State::kInForce;
  e.exit_reason = ExitReason::kNone;
  e.in_force_on = kNoDay;
  e.exited_on = kNoDay;
}

}  // namespace

void GenerateEntries(uint64_t n, uint64_t seed, const std::function<void(const Entry&)>& fn) {
  const Plan plan(n, seed);
  uint64_t numbers[kListKinds] = {0, 0, 0};
  Entry e;
  for (uint64_t i = 0; i < n; ++i) {
    FillEntry(plan, i, numbers, e);
    fn(e);
  }
}

void AppendEntryNdjson(const Entry& e, std::string* out) {
  const QuotedNames& quoted = Quoted();
  JsonWriter w(out);
  w.BeginObject();
  w.Key("entry_id").String(e.entry_id);
  w.Key("list").Raw(quoted.lists[static_cast<int>(e.list)]);
  w.Key("category").StringOrNull(e.category);
  w.Key("subject_type").Raw(quoted.subjects[static_cast<int>(e.subject_type)]);
  w.Key("name").String(e.name);
  KeyOrNull(w, "uscc", e.uscc);
  KeyOrNull(w, "reg_no", e.reg_no);
  w.Key("id_type").StringOrNull(e.id_type);
  KeyOrNull(w, "id_number", e.id_number);
  w.Key("legal_rep").StringOrNull(e.legal_rep);
  KeyOrNull(w, "legal_rep_id_number", e.legal_rep_id);
  w.Key("conduct").StringOrNull(e.conduct);
  w.Key("outcome").StringOrNull(e.outcome);
  w.Key("department").StringOrNull(e.department);
  w.Key("basis").StringOrNull(e.basis);
  DateOrNull(w, "decided_on", e.decided_on);
  DateOrNull(w, "valid_from", e.valid_from);
  DateOrNull(w, "valid_until", e.valid_until);
  w.Key("memoranda").BeginArray();
  for (uint64_t m = e.memoranda & ((uint64_t{1} << kMemoranda) - 1); m; m &= m - 1)
    w.Raw(quoted.memoranda[__builtin_ctzll(m)]);
  w.EndArray();
  w.Key("state").Raw(quoted.states[static_cast<int>(e.state)]);
  if (e.exit_reason != ExitReason::kNone)
    w.Key("exit_reason").Raw(quoted.exits[static_cast<int>(e.exit_reason)]);
  w.EndObject();
  out->push_back('\n');
}

Status WriteNdjson(uint64_t n, uint64_t seed, std::FILE* out) {
  // Entries are made in chunks, by as many threads as there are cores: entry i depends only on
  // (n, seed, i) and on how many entries of its list come before it, which a quick first pass
  // counts. The chunks are written in order, so the bytes do not depend on the thread count.
  // Writing one round of chunks overlaps with making the next.
  constexpr uint64_t kChunk = 1 << 14;  // ~10 MB of NDJSON
  const Plan plan(n, seed);
  const uint64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<std::array<uint64_t, kListKinds>> numbers(chunks);
  std::array<uint64_t, kListKinds> counted = {0, 0, 0};
  for (uint64_t c = 0; c < chunks; ++c) {
    numbers[c] = counted;
    for (uint64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
      Rng rng(plan.EntrySeed(i));
      ++counted[static_cast<int>(DrawList(rng))];
    }
  }
  auto make_chunk = [&](uint64_t c, std::string* buf) {
    buf->clear();
    Entry e;
    for (uint64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
      FillEntry(plan, i, numbers[c].data(), e);
      AppendEntryNdjson(e, buf);
    }
  };

  bool failed = false;
  auto write = [&](const std::string& buf) {
    if (!failed && !buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size())
      failed = true;
  };
  const uint64_t threads =
      std::max<uint64_t>(1, std::min<uint64_t>({std::thread::hardware_concurrency(), chunks, 8}));
  std::vector<std::string> made(threads), writing(threads);
  for (uint64_t first = 0; first < chunks; first += threads) {
    std::vector<std::thread> workers;
    for (uint64_t t = 1; t < threads && first + t < chunks; ++t) {
      try {
        workers.emplace_back(make_chunk, first + t, &made[t]);
      } catch (const std::system_error&) {  // no thread to be had: make it here
        make_chunk(first + t, &made[t]);
      }
    }
    for (const std::string& buf : writing) write(buf);
    make_chunk(first, &made[0]);
    for (std::thread& w : workers) w.join();
    for (uint64_t t = first + threads > chunks ? chunks - first : threads; t < threads; ++t)
      made[t].clear();
    std::swap(made, writing);
  }
  for (const std::string& buf : writing) write(buf);
  if (failed || std::fflush(out) != 0 || std::ferror(out))
    return Status::Io(std::string("writing entries failed: ") + std::strerror(errno));
  return Status::Ok();
}

Status WriteNdjson(uint64_t n, uint64_t seed, const std::string& path) {
  if (path == "-") return WriteNdjson(n, seed, stdout);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::Io("cannot open " + path + ": " + std::strerror(errno));
  Status s = WriteNdjson(n, seed, f);
  if (std::fclose(f) != 0 && s.ok())
    s = Status::Io("cannot close " + path + ": " + std::strerror(errno));
  return s;
}

}  // namespace credlist
