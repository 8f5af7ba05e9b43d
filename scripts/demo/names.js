// Word lists for the demo district, shaped like the paper's Penglai (5 streets, 11 communities).
// The paper itself names 南王街道 and its 半岛蓝庭社区; the other street and community names are in
// the local style, compounds and roads are made up, and every person is fictitious.

/** Street offices with the communities under each (11 in all, as in the paper). */
const STREETS = [
	{ name: '登州街道', communities: ['钟楼社区', '画河社区', '西关社区'], roads: ['钟楼东路', '钟楼北路', '画河路', '西关路', '登州路', '府前街'] },
	{ name: '紫荆山街道', communities: ['紫荆山社区', '南关社区'], roads: ['紫荆山路', '南关路', '北沟路', '振华街', '迎宾路'] },
	{ name: '新港街道', communities: ['新港社区', '海港社区'], roads: ['新港路', '港城大道', '海滨路', '渔港路', '黄海路'] },
	{ name: '南王街道', communities: ['半岛蓝庭社区', '南王社区'], roads: ['南王路', '长江路', '蓝庭街', '金创路', '泰山路'] },
	{ name: '蓬莱阁街道', communities: ['蓬莱阁社区', '戚家牌坊社区'], roads: ['蓬莱阁路', '戚继光路', '丹崖路', '海市路', '水城街'] },
];

/** Community workers per community: 93 in all, as the paper counts; 7 at 半岛蓝庭 as it reports. */
const COMMUNITY_WORKERS = {
	钟楼社区: 9, 画河社区: 8, 西关社区: 9, 紫荆山社区: 9, 南关社区: 8, 新港社区: 9, 海港社区: 8,
	半岛蓝庭社区: 7, 南王社区: 9, 蓬莱阁社区: 9, 戚家牌坊社区: 8,
};

/** District agencies that send cadres down to the communities (下沉干部). */
const AGENCIES = [
	'区委办公室', '区政府办公室', '区委组织部', '区委宣传部', '区委统战部', '区委政法委', '区纪委监委',
	'区发展和改革局', '区教育和体育局', '区科学技术局', '区工业和信息化局', '公安分局', '区民政局', '区司法局',
	'区财政局', '区人力资源和社会保障局', '自然资源和规划分局', '区住房和城乡建设局', '区交通运输局',
	'区农业农村局', '区商务局', '区文化和旅游局', '区卫生健康局', '区退役军人事务局', '区应急管理局',
	'区审计局', '区市场监督管理局', '区统计局', '区医疗保障局', '区综合行政执法局', '区行政审批服务局',
	'区供销社', '区总工会', '团区委', '区妇联', '区税务局', '区人民法院', '区人民检察院', '区融媒体中心',
	'区供电公司', '区农商银行', '区自来水公司',
];

const COMPOUND_HEADS = [
	'海韵', '仙境', '丹崖', '蓬壶', '登州', '紫荆', '画河', '蓝庭', '海滨', '阁山', '港湾', '振华', '金海',
	'银海', '田横', '鑫泰', '福海', '滨海', '嘉和', '安居', '盛世', '东方', '阳光', '明珠', '御景', '锦绣',
	'海悦', '瀛洲', '方壶', '长山', '翠屏', '松园', '桂园', '兰亭', '怡海', '海天', '望海', '观澜', '听涛',
	'凤凰', '天成', '瑞祥', '华馨', '恒泰', '昌盛', '和谐', '幸福', '温馨', '名仕', '书香', '水城', '钟楼',
	'西关', '南关', '新港', '南王', '戚园', '海市', '蓬莱', '仙阁',
];

const COMPOUND_TAILS = [
	['花园', 5], ['小区', 6], ['家园', 4], ['苑', 3], ['新村', 2], ['公寓', 2], ['雅居', 2], ['名都', 1],
	['华庭', 2], ['丽景', 1], ['山庄', 1], ['佳园', 2], ['嘉园', 1], ['美地', 1], ['小镇', 1],
];

/** Works' and offices' housing from before property management: the paper's "old compounds". */
const OLD_COMPOUNDS = [
	'供电局宿舍', '粮食局家属院', '机械厂宿舍', '纺织厂家属院', '水产公司宿舍', '供销社家属院', '卫生局宿舍',
	'交通局家属院', '建筑公司宿舍', '二轻局家属院', '酒厂宿舍', '磷肥厂家属院', '师范宿舍', '邮电局家属院',
	'物资局宿舍', '港务局家属院', '气象局宿舍', '农机站家属院', '化工厂宿舍', '造船厂家属院',
];

// Surnames weighted towards those common on the Jiaodong peninsula.
const SURNAMES = [
	['王', 90], ['李', 55], ['张', 55], ['刘', 50], ['孙', 40], ['于', 38], ['姜', 30], ['曲', 22], ['宋', 20],
	['林', 18], ['徐', 18], ['赵', 18], ['杨', 18], ['陈', 16], ['高', 15], ['吕', 12], ['周', 12], ['吴', 10],
	['马', 10], ['郭', 10], ['董', 10], ['梁', 9], ['隋', 9], ['栾', 8], ['衣', 7], ['初', 7], ['鞠', 7],
	['邹', 6], ['战', 5], ['慕', 5], ['柳', 5], ['丛', 6], ['滕', 5], ['唐', 6], ['苏', 6], ['冯', 6],
	['谭', 4], ['盛', 4], ['程', 5], ['丁', 6], ['毕', 5], ['车', 4], ['蔡', 4], ['辛', 4], ['臧', 3],
	['修', 3], ['矫', 3], ['迟', 4], ['宫', 4], ['胡', 6],
];

const MALE = [
	'建', '国', '志', '强', '伟', '明', '军', '海', '涛', '磊', '斌', '鹏', '波', '刚', '勇', '健', '峰', '辉',
	'东', '春', '晓', '文', '华', '庆', '林', '成', '金', '振', '永', '德', '忠', '宏', '俊', '杰', '浩', '宇',
	'凯', '超', '平', '亮', '新', '民', '胜', '利', '学', '良', '昊', '泽', '博', '晨', '光', '福', '安', '山',
];

const FEMALE = [
	'芳', '丽', '敏', '静', '霞', '燕', '红', '娟', '玲', '萍', '婷', '雪', '梅', '琳', '慧', '艳', '莉', '娜',
	'倩', '颖', '洁', '晶', '璐', '欣', '悦', '佳', '瑶', '琪', '秀', '英', '兰', '凤', '云', '华', '美', '丹',
	'晓', '春', '玉', '月', '宁', '青', '爱', '荣', '珍', '虹', '彤', '楠', '薇', '莹',
];

const NUMERALS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** 1 → 一, 12 → 十二, 27 → 二十七 (up to 99). */
function chineseNumber(n) {
	if (n <= 10) return NUMERALS[n];
	const tens = Math.floor(n / 10);
	const ones = n % 10;
	return `${tens === 1 ? '' : NUMERALS[tens]}十${NUMERALS[ones]}`;
}

/** A person's name; unique within one generator run where possible. */
function personName(rnd, used) {
	for (let attempt = 0; ; attempt++) {
		const surname = rnd.weighted(SURNAMES);
		const pool = rnd.chance(0.5) ? MALE : FEMALE;
		const given = rnd.chance(0.25) ? rnd.pick(pool) : rnd.pick(pool) + rnd.pick(pool);
		const name = surname + given;
		if (given.length === 2 && given[0] === given[1] && rnd.chance(0.7)) continue;
		if (!used.has(name) || attempt > 20) {
			used.add(name);
			return name;
		}
	}
}

/** A family name, weighted as on the Jiaodong peninsula. */
function surname(rnd) {
	return rnd.weighted(SURNAMES);
}

/** A given name of one or two characters for a man ('M') or a woman ('F'). */
function givenName(rnd, sex) {
	const pool = sex === 'M' ? MALE : FEMALE;
	for (;;) {
		const given = rnd.chance(0.25) ? rnd.pick(pool) : rnd.pick(pool) + rnd.pick(pool);
		if (given.length === 1 || given[0] !== given[1] || rnd.chance(0.3)) return given;
	}
}

/** A mainland mobile number, unique within one generator run. */
function mobile(rnd, used) {
	for (;;) {
		const prefix = rnd.pick(['133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156', '158', '159', '176', '177', '178', '180', '181', '185', '186', '187', '188', '189', '198']);
		let rest = '';
		for (let i = 0; i < 8; i++) rest += rnd.int(0, 9);
		const number = prefix + rest;
		if (!used.has(number)) {
			used.add(number);
			return number;
		}
	}
}

module.exports = {
	STREETS,
	COMMUNITY_WORKERS,
	AGENCIES,
	COMPOUND_HEADS,
	COMPOUND_TAILS,
	OLD_COMPOUNDS,
	chineseNumber,
	personName,
	surname,
	givenName,
	mobile,
};
