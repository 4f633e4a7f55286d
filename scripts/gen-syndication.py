#!/usr/bin/env python3
"""Writes the labelled syndication set for story detection (issue 18).

Usage: scripts/gen-syndication.py [--seed N] [--out FILE]
Default: seed 18, tests/fixtures/syndication.jsonl. Python 3 standard
library only; the same seed writes the same bytes.

Each line is one news item: `id`, `title`, `body`, `lang`, `source`,
`published_at` (RFC 3339, UTC), and the label `story`, the id of the story
the item is a copy of. The code under test must not read `story`; only the
evaluation does (`src/story/eval_tests.rs`).

What is in it:

- Stories in English, Russian and Chinese about AI-chip export controls and
  the chip trade: each built from facts (vendor, buyer, product, agency,
  numbers, people) and paragraphs drawn from a pool of sentence templates,
  so that stories on one subject share their keywords but not their text.
- 2 to 20 copies of each story (most have few, some many), published over
  the hours after the first, each with the edits that wire copies get:
  the headline rewritten or prefixed (`UPDATE 2-`, `СРОЧНО:`, `快讯：`), the
  byline and dateline of another outlet, a paragraph dropped or a
  background paragraph or editor's note added, boilerplate and links
  appended, quotes re-punctuated ("…", “…”, «…», 「…」), a few words
  changed (`said` / `told reporters`).
- Hard negatives: for about half the stories a look-alike story on the
  same vendor, product, buyer and agency (another event on the same
  subject, often sharing a background paragraph), published a day later
  (20 to 30 hours) or the same day (2 to 10 hours later), with copies of
  its own. Two H200 stories a day apart are two stories.

Items are written in order of `published_at`.
"""

import argparse
import datetime as dt
import hashlib
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Base stories per language; look-alikes come on top.
BASE_STORIES = 58
LOOKALIKE_SHARE = 0.5
START = dt.datetime(2025, 11, 3, 6, 0, tzinfo=dt.timezone.utc)
DAYS = 40

# ---------------------------------------------------------------- facts

FACTS = {
    "en": {
        "co": ["Nvidia", "AMD", "Intel", "Micron", "Qualcomm", "Broadcom", "Marvell"],
        "buyer": ["Alibaba", "ByteDance", "Tencent", "Baidu", "Lenovo", "Inspur", "iFlytek",
                  "Kuaishou", "JD.com", "Xiaomi", "Meituan", "SenseTime"],
        "prod": ["H200", "H20", "B30A", "RTX Pro 6000D", "MI308", "Gaudi 3", "HBM3E memory",
                 "Blackwell B200", "MI350", "L20"],
        "agency": ["the Commerce Department", "the Bureau of Industry and Security",
                   "China's Ministry of Commerce", "the Cyberspace Administration of China",
                   "the White House", "the State Administration for Market Regulation",
                   "China's customs administration", "the Dutch trade ministry"],
        "city": ["WASHINGTON", "BEIJING", "SHANGHAI", "SHENZHEN", "TAIPEI", "HONG KONG",
                 "SAN FRANCISCO", "SINGAPORE", "TOKYO", "SEOUL"],
        "person": ["Howard Lutnick", "Jensen Huang", "Lisa Su", "Wang Wentao", "Jeffery Kessler",
                   "Lin Jian", "He Yadong", "Gina Raimondo", "Alan Estevez", "Mao Ning"],
        "analyst": ["Ben Bajarin", "Stacy Rasgon", "Dylan Patel", "Paul Triolo", "Gregory Allen",
                    "Chris Miller", "Kevin Xu", "Linghao Bao", "Hanna Dohmen", "Jay Goldberg"],
        "firm": ["Bernstein", "Creative Strategies", "SemiAnalysis", "DGA-Albright Stonebridge",
                 "CSIS", "Trivium China", "Morningstar", "Jefferies", "Morgan Stanley", "TechInsights"],
        "role_person": ["Commerce Secretary", "chief executive", "spokesperson",
                        "Under Secretary", "trade minister", "foreign ministry spokesperson"],
        "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "market": ["New York", "Hong Kong", "Shanghai", "after-hours", "premarket", "Shenzhen"],
        "country": ["China", "Malaysia", "Singapore", "the United Arab Emirates", "Vietnam",
                    "Saudi Arabia", "India", "Thailand"],
    },
    "ru": {
        "co": ["Nvidia", "AMD", "Intel", "Micron", "Qualcomm", "Broadcom", "Marvell"],
        "buyer": ["Alibaba", "ByteDance", "Tencent", "Baidu", "Lenovo", "Inspur", "iFlytek",
                  "Kuaishou", "JD.com", "Xiaomi", "Meituan", "SenseTime"],
        "prod": ["H200", "H20", "B30A", "RTX Pro 6000D", "MI308", "Gaudi 3", "HBM3E",
                 "Blackwell B200", "MI350", "L20"],
        "agency": ["Министерство торговли США", "Бюро промышленности и безопасности",
                   "Министерство коммерции КНР", "Управление киберпространства Китая",
                   "Белый дом", "Главное таможенное управление КНР",
                   "Государственное управление по регулированию рынка КНР",
                   "правительство Нидерландов"],
        "city": ["ВАШИНГТОН", "ПЕКИН", "ШАНХАЙ", "ШЭНЬЧЖЭНЬ", "ТАЙБЭЙ", "ГОНКОНГ",
                 "НЬЮ-ЙОРК", "СИНГАПУР", "ТОКИО", "МОСКВА"],
        "person": ["Говард Латник", "Дженсен Хуанг", "Лиза Су", "Ван Вэньтао", "Джеффри Кесслер",
                   "Линь Цзянь", "Хэ Ядун", "Мао Нин", "Алан Эстевес", "Джина Раймондо"],
        "analyst": ["Бен Баджарин", "Стейси Расгон", "Дилан Пател", "Пол Триоло", "Грегори Аллен",
                    "Крис Миллер", "Кевин Сюй", "Линхао Бао", "Ханна Домен", "Джей Голдберг"],
        "firm": ["Bernstein", "Creative Strategies", "SemiAnalysis", "Albright Stonebridge",
                 "CSIS", "Trivium China", "Morningstar", "Jefferies", "Morgan Stanley", "TechInsights"],
        "role_person": ["министр торговли", "глава компании", "официальный представитель",
                        "заместитель министра", "министр коммерции", "представитель МИД"],
        "day": ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу",
                "в субботу", "в воскресенье"],
        "market": ["Нью-Йорке", "Гонконге", "Шанхае", "Шэньчжэне", "Токио"],
        "country": ["Китай", "Малайзию", "Сингапур", "ОАЭ", "Вьетнам", "Саудовскую Аравию",
                    "Индию", "Таиланд"],
    },
    "zh": {
        "co": ["英伟达", "超威半导体", "英特尔", "美光", "高通", "博通", "迈威尔"],
        "buyer": ["阿里巴巴", "字节跳动", "腾讯", "百度", "联想", "浪潮", "科大讯飞", "快手",
                  "京东", "小米", "美团", "商汤科技"],
        "prod": ["H200", "H20", "B30A", "RTX Pro 6000D", "MI308", "Gaudi 3", "HBM3E存储芯片",
                 "Blackwell B200", "MI350", "L20"],
        "agency": ["美国商务部", "美国商务部工业与安全局", "中国商务部", "国家互联网信息办公室",
                   "白宫", "海关总署", "国家市场监督管理总局", "荷兰政府"],
        "city": ["北京", "上海", "深圳", "华盛顿", "台北", "香港", "旧金山", "新加坡", "东京", "首尔"],
        "person": ["卢特尼克", "黄仁勋", "苏姿丰", "王文涛", "凯斯勒", "林剑", "何亚东", "毛宁",
                   "埃斯特维兹", "雷蒙多"],
        "analyst": ["巴贾林", "拉斯冈", "帕特尔", "特里奥洛", "艾伦", "米勒", "徐可", "包凌浩",
                    "多门", "戈德堡"],
        "firm": ["伯恩斯坦", "Creative Strategies", "SemiAnalysis", "奥尔布赖特石桥集团",
                 "战略与国际研究中心", "Trivium China", "晨星", "杰富瑞", "摩根士丹利", "TechInsights"],
        "role_person": ["商务部长", "首席执行官", "发言人", "副部长", "商务部部长", "外交部发言人"],
        "day": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
        "market": ["纽约", "香港", "上海", "深圳", "盘后", "盘前"],
        "country": ["中国", "马来西亚", "新加坡", "阿联酋", "越南", "沙特阿拉伯", "印度", "泰国"],
    },
}

# ---------------------------------------------------------------- events
# Each event: headlines (several wordings of one story) and a lead paragraph.

EVENTS = {
    "en": [
        ("approve", [
            "US approves {co} {prod} exports to China under new licence terms",
            "{co} wins US nod to ship {prod} chips to Chinese customers",
            "Washington clears {prod} sales to China, with a {pct}% revenue share",
            "US to let {co} sell {prod} to China, official says",
        ], "{agency_cap} approved licences for {co} to ship its {prod} artificial intelligence chips to "
           "approved customers in China, including {buyer}, a {role_person} said on {day}, on "
           "condition that the government receives {pct}% of the revenue from the sales."),
        ("weigh", [
            "US weighs allowing {co} {prod} exports to China",
            "Washington considers letting {co} sell {prod} chips in China, sources say",
            "{co} {prod} sales to China under review in Washington",
            "Exclusive: US mulls {prod} licences for {co} as talks with Beijing resume",
        ], "The administration is weighing whether to allow {co} to export its {prod} chips to China, "
           "{n} people familiar with the discussions said, a step that would reverse part of the "
           "curbs imposed since 2022 and could be worth {amt} billion dollars a year."),
        ("ban", [
            "US bars {co} from selling {prod} to China without a licence",
            "{co} told to halt {prod} shipments to China",
            "New US rule stops {prod} exports to Chinese buyers",
            "Washington tightens curbs, cutting off {prod} sales to China",
        ], "{co} said on {day} that {agency} had informed it that exports of its {prod} chips to China "
           "now require a licence, and that it expects a charge of about {amt} billion dollars on "
           "inventory and purchase commitments it can no longer fulfil."),
        ("orders", [
            "{buyer} weighs big {prod} orders if Beijing approves",
            "{buyer} and peers line up {prod} purchases from {co}",
            "Chinese tech giants seek {n}00,000 {prod} chips, sources say",
            "{buyer} plans {prod} order worth {amt} billion dollars",
        ], "{buyer} is considering orders for more than {n}00,000 of {co}'s {prod} chips and would "
           "place them as soon as {agency} signals approval, {n} people with knowledge of the plans "
           "said, as Chinese firms race to build data centres for large language models."),
        ("probe", [
            "China opens antitrust probe into {co} over {prod} sales",
            "Beijing regulator targets {co} in competition inquiry",
            "{agency_cap} investigates {co}, shares slide",
            "China steps up pressure on {co} with new investigation",
        ], "{agency_cap} said on {day} it had opened an investigation into {co} over suspected "
           "violations of the anti-monopoly law tied to its {prod} business, escalating tensions "
           "over chip supplies days before a new round of trade talks."),
        ("smuggling", [
            "{n} charged with smuggling {co} {prod} chips to China via {country}",
            "US prosecutors say {prod} chips worth {amt} million dollars were smuggled",
            "Smuggling ring shipped {co} {prod} processors through {country}, indictment says",
            "Arrests in {prod} smuggling case as US cracks down on diversion",
        ], "Federal prosecutors charged {n} people with conspiring to ship {co} {prod} chips worth "
           "about {amt} million dollars to China through front companies in {country}, "
           "according to an indictment unsealed on {day}."),
        ("customs", [
            "China tells customs to stop {prod} imports, sources say",
            "Beijing orders crackdown on {co} {prod} shipments at ports",
            "Chinese customs step up checks on {prod} chips",
            "China curbs {prod} imports in push for domestic chips",
        ], "China's customs officers have been told to step up checks on imports of {co}'s {prod} "
           "chips at major ports, {n} people familiar with the matter said, as Beijing urges "
           "companies such as {buyer} to buy domestic alternatives instead."),
        ("earnings", [
            "{co} forecast misses as China {prod} sales stall",
            "{co} takes {amt} billion dollar hit from {prod} curbs",
            "{co} results: China revenue slumps on {prod} rules",
            "{co} shares fall after it excludes China {prod} sales from outlook",
        ], "{co} forecast quarterly revenue below estimates on {day} and said its outlook assumes no "
           "sales of the {prod} to China, where revenue fell {pct}% from a year earlier after "
           "{agency} tightened the rules."),
        ("entity", [
            "US adds {n}0 Chinese firms to Entity List over AI chips",
            "Entity List expanded to cover suppliers of {buyer}",
            "Washington blacklists Chinese chip firms tied to {prod} diversion",
            "US trade blacklist grows as {agency} targets AI supply chain",
        ], "{agency_cap} added {n}0 Chinese companies, including units of {buyer}, to its Entity "
           "List on {day}, saying they had helped acquire {co} {prod} chips for military end uses "
           "in breach of US export controls."),
        ("deal", [
            "{co} and {buyer} sign {amt} billion dollar supply deal",
            "{buyer} to buy {prod} systems from {co} in multiyear pact",
            "{co} lands large {prod} deal with {buyer}",
            "{buyer} signs on for {co} {prod} capacity",
        ], "{co} agreed on {day} to supply {buyer} with {prod} systems worth about {amt} billion "
           "dollars over {n} years, the companies said, in one of the largest chip supply deals "
           "announced since the export rules were relaxed."),
    ],
    "ru": [
        ("approve", [
            "США одобрили экспорт {prod} компании {co} в Китай",
            "{co} получила разрешение поставлять {prod} китайским клиентам",
            "Вашингтон разрешил продажи {prod} в КНР при условии выплаты {pct}% выручки",
            "США позволят {co} продавать {prod} в Китай",
        ], "{agency} выдало {co} лицензии на поставку ИИ-чипов {prod} одобренным клиентам в Китае, "
           "в том числе {buyer}, сообщил {day} {role_person}; условием стало перечисление "
           "правительству {pct}% выручки от этих продаж."),
        ("weigh", [
            "США рассматривают возможность разрешить экспорт {prod} в Китай",
            "Вашингтон обсуждает продажи чипов {co} {prod} в КНР",
            "Источники: в США изучают вопрос о лицензиях на {prod}",
            "Белый дом взвешивает поставки {prod} в Китай",
        ], "Администрация США рассматривает возможность разрешить {co} экспортировать чипы {prod} "
           "в Китай, сообщили {n} источника, знакомых с обсуждениями; такое решение "
           "частично отменило бы ограничения, действующие с 2022 года, и может принести "
           "до {amt} млрд долларов в год."),
        ("ban", [
            "США запретили {co} продавать {prod} в Китай без лицензии",
            "{co} приостанавливает поставки {prod} в КНР",
            "Новое правило США закрыло экспорт {prod} китайским покупателям",
            "Вашингтон ужесточил ограничения на поставки {prod}",
        ], "{co} сообщила {day}, что власти США уведомили ее о необходимости получать "
           "лицензию на экспорт чипов {prod} в Китай, и компания ожидает списаний около "
           "{amt} млрд долларов по запасам и обязательствам."),
        ("orders", [
            "{buyer} рассматривает крупные заказы на {prod} в случае одобрения Пекина",
            "Китайские компании готовят закупки {prod} у {co}",
            "{buyer} может заказать {n}00 тысяч чипов {prod}",
            "Источники: {buyer} планирует заказ {prod} на {amt} млрд долларов",
        ], "{buyer} изучает возможность закупки более {n}00 тысяч чипов {prod} у {co} и "
           "разместит заказ, как только {agency} даст на это разрешение, сообщили {n} "
           "источника, знакомых с планами компании."),
        ("probe", [
            "Китай начал антимонопольное расследование в отношении {co}",
            "Регулятор КНР проверит {co} из-за продаж {prod}",
            "Пекин усилил давление на {co}",
            "Против {co} в Китае возбуждено расследование",
        ], "{agency} сообщило {day} о начале расследования в отношении {co} по подозрению в "
           "нарушении антимонопольного законодательства в связи с бизнесом {prod}, что "
           "обострило споры о поставках чипов накануне нового раунда торговых переговоров."),
        ("smuggling", [
            "В США обвинили {n} человек в контрабанде чипов {prod} в Китай",
            "Чипы {co} на {amt} млн долларов вывезли в Китай через {country}",
            "Прокуратура США раскрыла схему вывоза {prod} через {country}",
            "Аресты по делу о контрабанде {prod}",
        ], "Федеральная прокуратура США предъявила обвинения {n} лицам в сговоре с целью "
           "вывоза чипов {co} {prod} стоимостью около {amt} млн долларов в Китай через "
           "подставные компании, говорится в обвинительном заключении."),
        ("customs", [
            "Китай ужесточил таможенный контроль ввоза {prod}",
            "Пекин поручил таможне проверять поставки {prod}",
            "Таможня КНР усилила проверки чипов {co}",
            "Китай ограничивает импорт {prod} ради отечественных чипов",
        ], "Таможенникам Китая поручено усилить проверки ввоза чипов {co} {prod} в крупных "
           "портах, сообщили {n} источника; Пекин призывает такие компании, как {buyer}, "
           "закупать отечественные аналоги."),
        ("earnings", [
            "Прогноз {co} не оправдал ожиданий из-за остановки продаж {prod} в Китае",
            "{co} потеряет {amt} млрд долларов из-за ограничений на {prod}",
            "Выручка {co} в Китае упала на {pct}%",
            "Акции {co} снизились после отчета",
        ], "{co} {day} дала прогноз квартальной выручки ниже ожиданий аналитиков и сообщила, "
           "что не учитывает продажи {prod} в Китай, где выручка компании сократилась на "
           "{pct}% в годовом выражении."),
        ("entity", [
            "США внесли {n}0 китайских компаний в черный список",
            "Черный список Минторга США пополнился поставщиками {buyer}",
            "Вашингтон ввел санкции против китайских производителей чипов",
            "США расширили Entity List из-за поставок {prod}",
        ], "{agency} {day} включило в свой черный список {n}0 китайских компаний, в том числе "
           "подразделения {buyer}, заявив, что они помогали приобретать чипы {co} {prod} "
           "для военных целей в обход экспортного контроля США."),
        ("deal", [
            "{co} и {buyer} подписали соглашение о поставках на {amt} млрд долларов",
            "{buyer} закупит системы {prod} у {co}",
            "{co} заключила крупную сделку с {buyer}",
            "{buyer} получит мощности {co} {prod} по многолетнему контракту",
        ], "{co} {day} договорилась поставить {buyer} системы на базе {prod} примерно на "
           "{amt} млрд долларов в течение {n} лет, сообщили компании; это одна из "
           "крупнейших сделок с момента смягчения экспортных правил."),
    ],
    "zh": [
        ("approve", [
            "美国批准{co}向中国出口{prod}芯片",
            "{co}获准向中国客户供应{prod}",
            "美方放行{prod}对华销售 须上缴{pct}%收入",
            "美国将允许{co}对华销售{prod}",
        ], "{role_person}{day}表示，{agency}已向{co}发放许可证，允许其向包括{buyer}在内的获批中国客户"
           "出口{prod}人工智能芯片，条件是政府获得相关销售收入的{pct}%。"),
        ("weigh", [
            "美国考虑允许{co}向中国出口{prod}",
            "知情人士：华盛顿研究{prod}对华销售许可",
            "{co}{prod}对华销售问题正在评估",
            "美方权衡是否放行{prod}芯片出口",
        ], "{n}名知情人士透露，美国政府正在考虑是否允许{co}向中国出口{prod}芯片，此举将部分"
           "撤销自2022年以来实施的限制措施，每年涉及金额或达{amt}0亿美元。"),
        ("ban", [
            "美国禁止{co}未经许可向中国出售{prod}",
            "{co}暂停对华发运{prod}",
            "美国新规切断{prod}对华出口",
            "华盛顿收紧管制 {prod}对华销售受阻",
        ], "{co}{day}表示，{agency}通知该公司，向中国出口{prod}芯片今后需要申请许可证，公司预计"
           "将因库存和采购承诺计提约{amt}0亿美元的费用。"),
        ("orders", [
            "{buyer}拟大量采购{prod} 待北京批准",
            "{buyer}等企业计划向{co}采购{prod}",
            "知情人士：中国科技企业寻求{n}0万颗{prod}芯片",
            "{buyer}计划采购价值{amt}0亿美元的{prod}",
        ], "{n}名知情人士表示，{buyer}正考虑订购超过{n}0万颗{co}的{prod}芯片，一旦{agency}"
           "表示批准即会下单，中国企业正加紧建设用于大模型训练的数据中心。"),
        ("probe", [
            "中国对{co}展开反垄断调查",
            "监管部门就{prod}业务调查{co}",
            "{agency}立案调查{co} 股价下跌",
            "中方加大对{co}的监管压力",
        ], "{agency}{day}宣布，依法对{co}涉嫌违反反垄断法的行为立案调查，涉及其{prod}相关业务，"
           "此举发生在新一轮经贸磋商开始前几天。"),
        ("smuggling", [
            "美国起诉{n}人经{country}走私{co}{prod}芯片",
            "美检方：价值{amt}00万美元的{prod}芯片被走私",
            "起诉书称走私团伙经{country}转运{prod}",
            "美国打击{prod}芯片走私 多人被捕",
        ], "根据{day}公布的起诉书，美国联邦检察官指控{n}人合谋通过在{country}设立的空壳公司，"
           "将价值约{amt}00万美元的{co}{prod}芯片运往中国。"),
        ("customs", [
            "海关加强对{prod}进口的检查",
            "中方要求海关严查{co}{prod}芯片入境",
            "中国海关加大{prod}芯片查验力度",
            "中国限制{prod}进口 推动国产芯片",
        ], "{n}名知情人士表示，中国海关已接到通知，在主要口岸加强对{co}{prod}芯片进口的检查，"
           "同时北京鼓励{buyer}等企业转而采购国产替代产品。"),
        ("earnings", [
            "{co}业绩指引不及预期 {prod}对华销售停滞",
            "{co}因{prod}管制计提{amt}0亿美元",
            "{co}财报：中国区收入因{prod}新规大跌",
            "{co}股价下跌 展望未计入对华{prod}销售",
        ], "{co}{day}公布的季度收入指引低于市场预期，并表示展望中未计入向中国销售{prod}的收入，"
           "其中国区收入同比下降{pct}%。"),
        ("entity", [
            "美国将{n}0家中国企业列入实体清单",
            "实体清单扩大 涉及{buyer}供应商",
            "美方以{prod}转运为由制裁中国芯片企业",
            "{agency}再度扩大出口管制黑名单",
        ], "{agency}{day}将{n}0家中国企业列入实体清单，其中包括{buyer}的部分子公司，称其协助"
           "获取{co}{prod}芯片用于军事用途，违反美国出口管制规定。"),
        ("deal", [
            "{co}与{buyer}签署{amt}0亿美元供货协议",
            "{buyer}将向{co}采购{prod}系统",
            "{co}拿下{buyer}大额{prod}订单",
            "{buyer}与{co}签订多年期{prod}算力合同",
        ], "{co}{day}同意在{n}年内向{buyer}供应价值约{amt}0亿美元的{prod}系统，双方表示，这是"
           "出口规定放宽以来宣布的最大芯片供货协议之一。"),
    ],
}

# ---------------------------------------------------------------- sentences
# The pool every story draws its other paragraphs from; `{q}` … `{/q}` mark
# a quotation, written in the story's quote style.

SENTENCES = {
    "en": [
        "{co} said in a statement that it complies with all applicable export rules and would continue to work with {agency}.",
        "Shares of {co} {updown} {pct2}% in {market} trading on {day}, while shares of {buyer} {updown2} {pct3}%.",
        "{analyst}, an analyst at {firm}, said the decision could affect up to {amt2} billion dollars of annual sales.",
        "{q}We are following the situation closely and will keep serving our customers where the law allows,{/q} {person} told reporters.",
        "{buyer} did not immediately respond to a request for comment outside business hours.",
        "The {prod} is built on the same architecture as the chips that power most of the large models trained in the United States.",
        "Chinese companies have stockpiled chips for months, fearing that the rules could be tightened again before the end of the year.",
        "{q}This is a negotiation, not a gift,{/q} {person} said in an interview with a business channel.",
        "Lawmakers from both parties have criticised any easing of the curbs, arguing that advanced chips help China modernise its military.",
        "Beijing has urged domestic firms to favour local processors such as Huawei's Ascend series for new data centres.",
        "A spokesperson for {agency} declined to comment on individual licence applications.",
        "The company has said it lost about {pct2}% of its data centre revenue since the first controls were introduced.",
        "{analyst} of {firm} estimated that Chinese customers could buy as many as {n2} million units next year if sales resume.",
        "Talks between the two governments are expected to continue in {city_title} later this month.",
        "Smugglers have used shell companies in {country} to route chips to Chinese buyers, according to court filings in several cases.",
        "{q}Demand in China remains very strong, and our partners are asking for more supply,{/q} said {person}.",
        "The rules were first introduced in October 2022 and have been revised {n} times since then.",
        "Several Chinese cloud providers have reported shortages of computing power for training their latest models.",
        "The announcement came hours before {co} was due to report results for the quarter ending in {month}.",
        "Industry groups warned that repeated changes to the rules make long-term planning almost impossible for suppliers.",
        "{buyer} has spent more than {amt2} billion dollars on computing infrastructure over the past two years, according to its filings.",
        "Analysts at {firm} cut their price target on {co} to {price} dollars from {price2} dollars after the news.",
        "{q}Every chip that goes to China without a licence is a chip that could end up in a weapons programme,{/q} a senior official said.",
        "Chinese state media described the measures as {q}economic coercion{/q} and said the country would respond firmly.",
        "The government has asked companies to report any orders larger than {n2}0,000 units within {n} days.",
        "In {country}, officials said they were reviewing shipments of servers that may contain restricted processors.",
        "The {prod} sells for about {price}0,000 dollars per unit, according to distributors in Shenzhen.",
        "{person} is expected to meet his counterpart on {day} to discuss tariffs, rare earths and technology controls.",
        "Investors have been watching for any sign that the two sides could agree on a broader trade deal before the end of the year.",
        "Data centre operators in China said delivery times for servers had stretched to {n2} months.",
        "{co} has developed several versions of its processors to meet the performance limits set by the rules.",
        "The ministry said it would protect the legitimate rights and interests of Chinese companies.",
    ],
    "ru": [
        "В {co} заявили, что компания соблюдает все применимые экспортные правила и продолжит работать с регуляторами.",
        "Акции {co} {updown} на {pct2}% в ходе торгов в {market}, бумаги {buyer} {updown2} на {pct3}%.",
        "{analyst}, аналитик {firm}, заявил, что решение может затронуть продажи на сумму до {amt2} млрд долларов в год.",
        "{q}Мы внимательно следим за ситуацией и продолжим обслуживать клиентов в рамках закона{/q}, — сказал журналистам {person}.",
        "В {buyer} оперативно не ответили на запрос о комментарии.",
        "Чип {prod} построен на той же архитектуре, что и процессоры, на которых обучается большинство крупных моделей в США.",
        "Китайские компании несколько месяцев накапливали запасы чипов, опасаясь нового ужесточения правил до конца года.",
        "{q}Это переговоры, а не подарок{/q}, — заявил {person} в интервью деловому телеканалу.",
        "Законодатели обеих партий раскритиковали любое смягчение ограничений, указывая, что передовые чипы помогают модернизации армии Китая.",
        "Пекин призвал отечественные компании отдавать предпочтение местным процессорам, например серии Ascend от Huawei.",
        "Представитель ведомства отказался комментировать отдельные заявки на лицензии.",
        "Компания ранее сообщала, что потеряла около {pct2}% выручки от центров обработки данных после введения первых ограничений.",
        "По оценке {analyst} из {firm}, китайские клиенты могут закупить до {n2} млн чипов в следующем году, если продажи возобновятся.",
        "Ожидается, что переговоры правительств двух стран продолжатся в конце месяца.",
        "По данным судебных документов, контрабандисты использовали подставные компании, чтобы переправлять чипы китайским покупателям.",
        "{q}Спрос в Китае остается очень высоким, партнеры просят увеличить поставки{/q}, — отметил {person}.",
        "Ограничения впервые ввели в октябре 2022 года, с тех пор их пересматривали {n} раза.",
        "Ряд китайских облачных провайдеров сообщил о нехватке вычислительных мощностей для обучения новых моделей.",
        "Сообщение появилось за несколько часов до публикации квартальной отчетности {co}.",
        "Отраслевые объединения предупредили, что частые изменения правил делают долгосрочное планирование почти невозможным.",
        "За последние два года {buyer} потратила на вычислительную инфраструктуру более {amt2} млрд долларов, следует из ее отчетности.",
        "Аналитики {firm} понизили целевую цену акций {co} до {price} долларов с {price2} долларов.",
        "{q}Каждый чип, попавший в Китай без лицензии, может оказаться в военной программе{/q}, — заявил высокопоставленный чиновник.",
        "Китайские государственные СМИ назвали эти меры {q}экономическим принуждением{/q} и пообещали жесткий ответ.",
        "Правительство обязало компании сообщать о заказах более {n2}0 тысяч единиц в течение {n} дней.",
        "Власти заявили, что проверяют поставки серверов, которые могут содержать запрещенные процессоры.",
        "По данным дистрибьюторов в Шэньчжэне, один чип {prod} стоит около {price}0 тысяч долларов.",
        "Ожидается, что {person} {day} встретится с коллегой, чтобы обсудить пошлины, редкоземельные металлы и технологический контроль.",
        "Инвесторы следят за признаками того, что стороны смогут заключить более широкое торговое соглашение до конца года.",
        "Операторы центров обработки данных в Китае сообщили, что сроки поставки серверов выросли до {n2} месяцев.",
        "{co} разработала несколько версий своих процессоров, чтобы уложиться в установленные правилами ограничения.",
        "В министерстве заявили, что будут защищать законные права и интересы китайских компаний.",
    ],
    "zh": [
        "{co}在声明中表示，公司遵守所有适用的出口规定，并将继续与监管部门保持沟通。",
        "{co}股价在{market}交易中{updown}{pct2}%，{buyer}股价{updown2}{pct3}%。",
        "{firm}分析师{analyst}表示，这一决定可能影响每年多达{amt2}0亿美元的销售额。",
        "{person}对记者表示：{q}我们正密切关注事态发展，将在法律允许的范围内继续服务客户。{/q}",
        "{buyer}暂未回应置评请求。",
        "{prod}采用与美国训练大多数大模型所用芯片相同的架构。",
        "中国企业数月来一直在囤积芯片，担心年底前规则可能再次收紧。",
        "{person}在接受财经频道采访时说：{q}这是谈判，不是礼物。{/q}",
        "两党议员均批评任何放松限制的做法，认为先进芯片有助于中国军队现代化。",
        "北京敦促国内企业在新建数据中心时优先采用华为昇腾系列等国产处理器。",
        "相关部门发言人拒绝就个别许可申请置评。",
        "该公司此前表示，自首批管制措施实施以来，其数据中心业务收入损失约{pct2}%。",
        "{firm}的{analyst}估计，如果恢复销售，中国客户明年可能采购多达{n2}00万颗芯片。",
        "预计两国政府将于本月晚些时候继续磋商。",
        "法庭文件显示，走私者利用空壳公司将芯片转运给中国买家。",
        "{person}表示：{q}中国市场需求依然非常强劲，合作伙伴希望增加供货。{/q}",
        "相关规定于2022年10月首次推出，此后已修订{n}次。",
        "多家中国云服务商表示，训练最新模型所需的算力出现短缺。",
        "这一消息发布时，距{co}公布季度业绩仅剩几个小时。",
        "行业协会警告称，规则频繁变动使供应商几乎无法进行长期规划。",
        "财报显示，过去两年{buyer}在算力基础设施上的投入超过{amt2}0亿美元。",
        "{firm}分析师将{co}的目标价从{price2}美元下调至{price}美元。",
        "一名高级官员表示：{q}每一颗未经许可进入中国的芯片都可能被用于武器项目。{/q}",
        "中国官方媒体称这些措施是{q}经济胁迫{/q}，并表示将坚决回应。",
        "政府要求企业在{n}天内报告超过{n2}万颗的订单。",
        "有关方面表示，正在审查可能含有受限处理器的服务器货物。",
        "深圳分销商称，每颗{prod}售价约为{price}万美元。",
        "{person}预计将于{day}与对方会面，讨论关税、稀土和技术管制问题。",
        "投资者正在关注双方能否在年底前达成更广泛贸易协议的迹象。",
        "中国数据中心运营商表示，服务器交付周期已延长至{n2}个月。",
        "{co}已开发多个版本的处理器，以满足规则设定的性能上限。",
        "商务部表示，将坚决维护中国企业的正当权益。",
    ],
}

# Background paragraphs, one per product family: wire stories on one
# subject reuse them, so look-alike stories share one.
BACKGROUND = {
    "en": [
        "The {prod} is one of the most capable accelerators on the market and is used to train and run large language models; earlier versions were designed specifically to stay under the US performance limits.",
        "Since 2022 Washington has repeatedly tightened rules on exports of advanced computing chips and chipmaking tools to China, citing national security, while Beijing has called the measures an abuse of export controls.",
        "China accounted for about {pct}% of the company's revenue before the controls, and executives have said the market for AI accelerators there could be worth 50 billion dollars a year.",
    ],
    "ru": [
        "{prod} относится к самым производительным ускорителям на рынке и используется для обучения и работы больших языковых моделей; прежние версии разрабатывались специально, чтобы не превышать ограничений США.",
        "С 2022 года Вашингтон неоднократно ужесточал правила экспорта передовых вычислительных чипов и оборудования для их производства в Китай, ссылаясь на национальную безопасность; Пекин называет эти меры злоупотреблением экспортным контролем.",
        "До введения ограничений на Китай приходилось около {pct}% выручки компании, а ее руководство оценивало местный рынок ИИ-ускорителей в 50 млрд долларов в год.",
    ],
    "zh": [
        "{prod}是市场上性能最强的加速芯片之一，用于训练和运行大语言模型；此前的版本专门为满足美国的性能限制而设计。",
        "自2022年以来，美国以国家安全为由多次收紧对华出口先进计算芯片和芯片制造设备的规定，中方则批评这些措施滥用出口管制。",
        "在管制实施前，中国市场约占该公司收入的{pct}%，公司高管曾表示，中国人工智能加速芯片市场每年规模可达500亿美元。",
    ],
}

# ---------------------------------------------------------------- outlets

MONTHS_EN = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"]
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря"]

OUTLETS = {
    "en": ["Reuters", "AP", "Bloomberg", "AFP", "Yahoo Finance", "MarketScreener", "Investing.com",
           "CNBC", "South China Morning Post", "Nikkei Asia", "The Straits Times", "Business Insider"],
    "ru": ["ТАСС", "Интерфакс", "РИА Новости", "РБК", "Коммерсантъ", "Ведомости", "Lenta.ru",
           "Газета.Ru", "Прайм", "Frank Media"],
    "zh": ["新华社", "中新网", "环球时报", "财新", "澎湃新闻", "新浪财经", "网易科技", "界面新闻",
           "第一财经", "凤凰网"],
}

BYLINES = {
    "en": ["Karen Freifeld", "Fanny Potkin", "Max A. Cherney", "Liam Mo", "Brenda Goh",
           "Josh Ye", "David Shepardson", "Stephen Nellis", "Che Pan", "Mackenzie Hawkins"],
    "ru": ["Анна Петрова", "Иван Смирнов", "Мария Кузнецова", "Дмитрий Волков", "Ольга Морозова"],
    "zh": ["王晓", "李明", "张华", "刘洋", "陈静"],
}


def dateline(lang, outlet, city, when, rng):
    """The dateline (and sometimes byline) an outlet puts before the lead."""
    day, mon = when.day, when.month
    if lang == "en":
        styles = [
            f"{city}, {MONTHS_EN[mon - 1]} {day} ({outlet}) - ",
            f"{city} ({outlet}) — ",
            f"{city.title()}, {MONTHS_EN[mon - 1]} {day} — ",
            f"By {rng.choice(BYLINES['en'])}\n\n{city} — ",
            f"By {rng.choice(BYLINES['en'])} and {rng.choice(BYLINES['en'])}\n\n{city}, {MONTHS_EN[mon - 1]} {day} ({outlet}) - ",
            "",
        ]
    elif lang == "ru":
        styles = [
            f"{city}, {day} {MONTHS_RU[mon - 1]}. /{outlet}/. ",
            f"{city.title()}. {day} {MONTHS_RU[mon - 1]}. {outlet} - ",
            f"{outlet}, {day} {MONTHS_RU[mon - 1]}. ",
            f"Автор: {rng.choice(BYLINES['ru'])}\n\n",
            "",
        ]
    else:
        styles = [
            f"{outlet}{city}{mon}月{day}日电 ",
            f"【{outlet}报道】",
            f"（记者 {rng.choice(BYLINES['zh'])}）",
            f"{outlet}讯 ",
            "",
        ]
    return rng.choice(styles)


def boilerplate(lang, outlet, slug, rng):
    """What outlets append: credits, links, subscription pitches."""
    if lang == "en":
        pool = [
            f"Reporting by {rng.choice(BYLINES['en'])} in Washington and {rng.choice(BYLINES['en'])} in Beijing; Editing by {rng.choice(BYLINES['en'])}",
            f"Our Standards: The {outlet} Trust Principles.",
            f"Read more: https://www.example-news.com/{slug}",
            f"Related: https://www.example-news.com/tech/{slug}-analysis — What the new rules mean for chipmakers",
            "Sign up for our daily tech newsletter to get the top stories in your inbox.",
            f"© 2025 {outlet}. All rights reserved.",
            "This article was generated from an automated news agency feed without modifications to text.",
        ]
    elif lang == "ru":
        pool = [
            f"Подписывайтесь на {outlet} в Telegram: https://t.me/example_{slug[:12]}",
            f"Читайте также: https://example-news.ru/{slug}",
            "При использовании материалов ссылка на источник обязательна.",
            f"Фото: {rng.choice(BYLINES['ru'])}",
            f"© {outlet}, 2025",
            "Больше новостей об экономике и технологиях — в нашем канале.",
        ]
    else:
        pool = [
            "（完）",
            f"责任编辑：{rng.choice(BYLINES['zh'])}",
            f"来源：{outlet}",
            f"相关阅读：https://news.example.cn/{slug}",
            "本文仅代表作者观点，不构成投资建议。",
            "扫码关注我们，获取更多科技资讯。",
        ]
    return rng.sample(pool, rng.randint(1, 3))


HEADLINE_PREFIX = {
    "en": ["UPDATE 1-", "UPDATE 2-", "UPDATE 3-", "EXCLUSIVE-", "Breaking: ", "WRAPUP 1-"],
    "ru": ["СРОЧНО: ", "Обновлено: ", "Эксклюзив: ", "Источники: "],
    "zh": ["快讯：", "独家：", "更新：", "突发："],
}
HEADLINE_SUFFIX = {
    "en": [" - Reuters", " | Bloomberg", " - sources", " (Update)"],
    "ru": [" — источники", " — СМИ", " | Интерфакс"],
    "zh": ["——外媒", " | 财经", "（附全文）"],
}

# A few word changes that editors make; both directions are used.
REWORDINGS = {
    "en": [(" said ", " told reporters "), (" about ", " around "), (" more than ", " over "),
           (" people familiar with ", " sources familiar with "), (" chips", " processors"),
           (" companies ", " firms ")],
    "ru": [(" сообщили ", " рассказали "), (" около ", " примерно "), (" компании ", " фирмы "),
           (" заявил", " сказал"), (" более ", " свыше ")],
    "zh": [("表示", "称"), ("知情人士", "消息人士"), ("约", "大约"), ("企业", "公司"), ("芯片", "晶片")],
}

EDITORS_NOTE = {
    "en": ["Editor's note: this story has been updated with comment from the company.",
           "(Adds analyst comment in paragraph 5, share move in paragraph 6)",
           "Correction: an earlier version of this story misstated the date of the meeting."],
    "ru": ["Материал дополнен комментарием компании.", "(Добавлены комментарии аналитиков)",
           "Исправлено: в первоначальной версии была неверно указана дата встречи."],
    "zh": ["（更新：增加公司回应）", "编者按：本文已更新分析师评论。", "更正：本文早前版本误报了会议日期。"],
}


# ---------------------------------------------------------------- text helpers


def quote(text, style):
    """Writes the `{q}`…`{/q}` quotations in one of the quote styles."""
    open_, close = style
    return text.replace("{q}", open_).replace("{/q}", close)


QUOTE_STYLES = {
    "en": [('"', '"'), ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("''", "''")],
    "ru": [("\u00ab", "\u00bb"), ('"', '"'), ("\u201e", "\u201c"), ("\u201c", "\u201d")],
    "zh": [("\u201c", "\u201d"), ("\u300c", "\u300d"), ('"', '"'), ("\u300e", "\u300f")],
}


def fill(template, facts):
    text = template
    for key, value in facts.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def make_facts(lang, rng, base=None):
    """Facts of a story; a look-alike keeps the subject (vendor, buyer,
    product, agency) of `base` and draws the rest anew."""
    f = FACTS[lang]
    facts = {
        "co": rng.choice(f["co"]),
        "buyer": rng.choice(f["buyer"]),
        "prod": rng.choice(f["prod"]),
        "agency": rng.choice(f["agency"]),
        "city": rng.choice(f["city"]),
        "person": rng.choice(f["person"]),
        "analyst": rng.choice(f["analyst"]),
        "firm": rng.choice(f["firm"]),
        "role_person": rng.choice(f["role_person"]),
        "day": rng.choice(f["day"]),
        "market": rng.choice(f["market"]),
        "country": rng.choice(f["country"]),
        "n": rng.randint(2, 9),
        "n2": rng.randint(2, 9),
        "amt": rng.randint(2, 9),
        "amt2": rng.randint(2, 9),
        "pct": rng.choice([5, 10, 12, 15, 20, 25, 30]),
        "pct2": rng.randint(2, 9),
        "pct3": rng.randint(1, 8),
        "price": rng.randint(15, 40),
        "price2": rng.randint(41, 60),
        "month": rng.choice(["October", "January", "April", "July"]),
    }
    if base is not None:
        for key in ("co", "buyer", "prod", "agency"):
            facts[key] = base[key]
    up = {"en": ["rose", "fell", "gained", "slipped"], "ru": ["выросли", "упали", "подешевели", "подорожали"],
          "zh": ["上涨", "下跌", "走高", "回落"]}[lang]
    facts["updown"] = rng.choice(up)
    facts["updown2"] = rng.choice(up)
    agency = facts["agency"]
    facts["agency_cap"] = agency[0].upper() + agency[1:]
    facts["city_title"] = facts["city"].title()
    return facts


class Story:
    def __init__(self, sid, lang, facts, event, rng):
        self.sid = sid
        self.lang = lang
        self.facts = facts
        kind, headlines, lead = event
        self.kind = kind
        self.headlines = [fill(h, facts) for h in headlines]
        sentences = rng.sample(SENTENCES[lang], rng.randint(5, 8))
        paras = [fill(lead, facts)]
        i = 0
        while i < len(sentences):
            take = rng.choice([1, 2])
            paras.append(" ".join(fill(s, facts) for s in sentences[i:i + take]))
            i += take
        bg = rng.randrange(len(BACKGROUND[lang]))
        if rng.random() < 0.6:
            paras.insert(rng.randint(2, len(paras)), fill(BACKGROUND[lang][bg], facts))
        self.background = bg
        self.paras = paras
        self.slug = hashlib.sha1(f"{sid}".encode()).hexdigest()[:10] + "-" + kind


def sep(lang):
    return "" if lang == "zh" else " "


def copy_of(story, k, when, rng):
    """The `k`-th copy of `story` (0 is the first publication)."""
    lang = story.lang
    outlet = rng.choice(OUTLETS[lang])
    # Headline: the first copy's wording; others often rewritten.
    if k == 0 or rng.random() < 0.35:
        title = story.headlines[0]
    else:
        title = rng.choice(story.headlines)
    r = rng.random()
    if k > 0 and r < 0.2:
        title = rng.choice(HEADLINE_PREFIX[lang]) + title
    elif k > 0 and r < 0.35:
        title = title + rng.choice(HEADLINE_SUFFIX[lang])
    paras = list(story.paras)
    if k > 0:
        r = rng.random()
        if r < 0.3 and len(paras) > 3:
            del paras[rng.randint(1, len(paras) - 1)]
        elif r < 0.5:
            extra = [b for i, b in enumerate(BACKGROUND[lang]) if i != story.background]
            paras.insert(rng.randint(1, len(paras)), fill(rng.choice(extra), story.facts))
        elif r < 0.6:
            paras.insert(rng.choice([0, len(paras)]), rng.choice(EDITORS_NOTE[lang]))
        if rng.random() < 0.35:
            for _ in range(rng.randint(1, 3)):
                a, b = rng.choice(REWORDINGS[lang])
                if rng.random() < 0.5:
                    a, b = b, a
                i = rng.randrange(len(paras))
                paras[i] = paras[i].replace(a, b, 1)
    style = QUOTE_STYLES[lang][0] if k == 0 else rng.choice(QUOTE_STYLES[lang])
    paras = [quote(p, style) for p in paras]
    city = story.facts["city"]
    paras[0] = dateline(lang, outlet, city, when, rng) + paras[0]
    if k == 0 and rng.random() < 0.5 or k > 0 and rng.random() < 0.7:
        paras += boilerplate(lang, outlet, story.slug, rng)
    body = "\n\n".join(paras)
    return outlet, title, body


def copies_count(rng):
    """2..20, most stories with few copies and some with many."""
    if rng.random() < 0.05:
        return rng.randint(14, 20)
    return min(20, 2 + int(rng.expovariate(1 / 4.0)))


def item_id(seed, n):
    return "syn-" + hashlib.sha256(f"{seed}/{n}".encode()).hexdigest()[:16]


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(seed):
    rng = random.Random(seed)
    stories = []  # (story, first publication time)
    for lang in ("en", "ru", "zh"):
        for b in range(BASE_STORIES):
            facts = make_facts(lang, rng)
            event = rng.choice(EVENTS[lang])
            t0 = START + dt.timedelta(minutes=rng.randrange(DAYS * 24 * 60))
            base = Story(f"{lang}-{b:03d}", lang, facts, event, rng)
            stories.append((base, t0))
            if rng.random() < LOOKALIKE_SHARE:
                # Another event on the same subject, a day later or the same day.
                twin = make_facts(lang, rng, base=facts)
                others = [e for e in EVENTS[lang] if e[0] != event[0]]
                ev2 = event if rng.random() < 0.25 else rng.choice(others)
                look = Story(f"{lang}-{b:03d}-b", lang, twin, ev2, rng)
                if rng.random() < 0.5:
                    look.background = base.background
                    bg = fill(BACKGROUND[lang][base.background], twin)
                    if bg not in look.paras:
                        look.paras.insert(min(2, len(look.paras)), bg)
                hours = rng.uniform(20, 30) if rng.random() < 0.7 else rng.uniform(2, 10)
                stories.append((look, t0 + dt.timedelta(hours=hours)))
    items = []
    n = 0
    for story, t0 in stories:
        count = copies_count(rng)
        offsets = sorted([0.0] + [rng.expovariate(1 / 90.0) for _ in range(count - 1)])
        for k, minutes in enumerate(offsets):
            when = t0 + dt.timedelta(minutes=min(minutes, 12 * 60) + k * 0.5)
            outlet, title, body = copy_of(story, k, when, rng)
            items.append((when, n, {
                "id": item_id(seed, n),
                "title": title,
                "body": body,
                "lang": story.lang,
                "source": outlet,
                "published_at": rfc3339(when),
                "story": story.sid,
            }))
            n += 1
    items.sort(key=lambda x: (x[0], x[1]))
    return [item for _, _, item in items]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "syndication.jsonl")
    args = p.parse_args()
    items = generate(args.seed)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    stories = {}
    for item in items:
        stories.setdefault(item["story"], []).append(item)
    sizes = sorted(len(v) for v in stories.values())
    print(f"{args.out}: {len(items)} items, {len(stories)} stories "
          f"(copies {sizes[0]}..{sizes[-1]}), {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
