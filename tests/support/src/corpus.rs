//! A deterministic, multilingual news corpus and watchlists for the engine
//! benchmarks and the normalizer corpus test.
//!
//! Everything is derived from fixed seeds through a SplitMix64 generator, so
//! every run (and every machine) sees the same bytes. The text is word-list
//! salad, but with the character mix of real wire copy: about half English,
//! 30 % Russian and 20 % Chinese items of 1–3 KB, with precomposed and
//! combining diacritics, curly quotes and guillemets, em/en dashes,
//! non-breaking spaces, full-width punctuation and digits, ellipses, numbers,
//! Latin inside Chinese, double spaces and newlines. About 6 % of the items
//! are "on topic" (AI chips and their export), carrying the core watch terms
//! that [`terms`] puts first, so a few percent of items fire rules.
//! [`dirty`] is the same corpus as publishers send it (SPEC 2a): invisible
//! characters inside words, `™` after names, NFD accents, full-width
//! letters, hyphens for spaces, CRLF.
//!
//! Used by `benches/engine.rs`, `examples/bench_text.rs` and the
//! `normalize_corpus` tests of `tests/it`.

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// SplitMix64: tiny, fast, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0 < n < 2^32`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent / 100`.
    pub fn chance(&mut self, percent: f64) -> bool {
        ((self.next_u64() >> 11) as f64) < percent / 100.0 * (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// A word of a list.
    pub fn word<'a>(&mut self, xs: &'a [String]) -> &'a str {
        &xs[self.below(xs.len())]
    }
}

/// Word lists are written as one string each: entries separated by single
/// spaces, `_` inside an entry standing for a space.
fn list(src: &str) -> Vec<String> {
    src.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('_', " "))
        .collect()
}

/// The word lists, split once.
struct Vocab {
    en_function: Vec<String>,
    en_content: Vec<String>,
    en_proper: Vec<String>,
    en_ascii_proper: Vec<String>,
    en_diacritic: Vec<String>,
    en_contractions: Vec<String>,
    en_chip: Vec<String>,
    en_export: Vec<String>,
    ru_function: Vec<String>,
    ru_content: Vec<String>,
    ru_proper: Vec<String>,
    ru_chip: Vec<String>,
    ru_export: Vec<String>,
    zh_function: Vec<String>,
    zh_content: Vec<String>,
    zh_proper: Vec<String>,
    zh_latin: Vec<String>,
    zh_chip: Vec<String>,
    zh_export: Vec<String>,
    core_terms: Vec<String>,
    en_syllables: Vec<String>,
    en_endings: Vec<String>,
    en_company: Vec<String>,
    en_real_terms: Vec<String>,
    ru_syllables: Vec<String>,
    zh_chars: Vec<char>,
}

static VOCAB: LazyLock<Vocab> = LazyLock::new(|| {
    let en_proper = list(EN_PROPER);
    Vocab {
        en_function: list(EN_FUNCTION),
        en_content: list(EN_CONTENT),
        en_ascii_proper: en_proper.iter().filter(|p| p.is_ascii()).cloned().collect(),
        en_proper,
        en_diacritic: list(EN_DIACRITIC_WORDS),
        en_contractions: list(EN_CONTRACTIONS),
        en_chip: list(EN_CHIP),
        en_export: list(EN_EXPORT),
        ru_function: list(RU_FUNCTION),
        ru_content: list(RU_CONTENT),
        ru_proper: list(RU_PROPER),
        ru_chip: list(RU_CHIP),
        ru_export: list(RU_EXPORT),
        zh_function: list(ZH_FUNCTION),
        zh_content: list(ZH_CONTENT),
        zh_proper: list(ZH_PROPER),
        zh_latin: list(ZH_LATIN),
        zh_chip: list(ZH_CHIP),
        zh_export: list(ZH_EXPORT),
        core_terms: list(CORE_TERMS),
        en_syllables: list(EN_SYLLABLES),
        en_endings: list(EN_ENDINGS),
        en_company: list(EN_COMPANY),
        en_real_terms: list(EN_REAL_TERMS),
        ru_syllables: list(RU_SYLLABLES),
        zh_chars: ZH_CHARS.chars().filter(|c| !c.is_whitespace()).collect(),
    }
});

// ---------------------------------------------------------------- English

const EN_FUNCTION: &str = "the the the of of and and to to in in a a for on that with is was said by at as from its \
    it has have be will would after over but not this an are which their more than about who \
    been also new last first two could while into before under amid since despite";

const EN_CONTENT: &str = "government officials market markets company companies shares investors prices report \
    minister president election policy economy growth inflation bank central rates trade \
    tariffs deal talks security military troops ceasefire border court ruling law police \
    city region country week month quarter percent billion million revenue profit analysts \
    data technology energy oil gas climate storm weather health hospital vaccine school \
    students workers union strike protest parliament vote budget debt tax supply chain \
    production factory demand year years people state federal spokesperson statement agency \
    ministry industry sector forecast outlook quarterly earnings stocks bonds yields \
    currency dollar euro yuan ruble shipping ports airline flights housing mortgage consumer \
    spending retail sales jobs unemployment wages pension reform coalition opposition leader \
    candidate campaign summit agreement negotiations investigation prosecutors judge lawsuit \
    settlement regulators merger acquisition startup software cloud network smartphone \
    battery electric vehicles carmaker steel wheat grain harvest drought flooding wildfire \
    earthquake rescue residents announced reported expected warned rose fell increased \
    declined plans proposed approved rejected signed launched cut raised according however \
    meanwhile further record higher lower strong weak major key global local national \
    international domestic";

const EN_PROPER: &str = "Washington Beijing Moscow Brussels London Berlin Tokyo Paris Kyiv Zürich São_Paulo \
    Montréal Curaçao Gdańsk Kraków Reykjavík Málaga Düsseldorf Genève Nestlé \
    Société_Générale Citroën Škoda Siemens Renault Müller Pérez François Jürgen Björn Zoë \
    Ørsted Łódź Reuters the_European_Union the_Federal_Reserve Wall_Street Mr.\u{a0}Smith \
    Ms.\u{a0}García Dr.\u{a0}Nuñez Apple Microsoft Samsung Toyota Boeing";

const EN_DIACRITIC_WORDS: &str = "café naïve résumé déjà_vu fiancée façade rôle élite protégé entrepôt coöperation exposé \
    soufflé piñata jalapeño";

const EN_CONTRACTIONS: &str =
    "company’s didn’t it’s government’s won’t country’s isn’t minister’s o’clock investors’";

const EN_CHIP: &str = "Nvidia Nvidia’s H200 AI_chips AI_chip semiconductors semiconductor Huawei Ascend_910B \
    NVIDIA GPUs";

const EN_EXPORT: &str = "exports export export_controls sanctions licenses export_licenses \
    the_Commerce_Department exporting";

// ---------------------------------------------------------------- Russian

const RU_FUNCTION: &str = "и и в в на на с по что не о для как из за к от это также после более чем уже при до его \
    её их";

const RU_CONTENT: &str = "правительство правительства министр министра президент президента рынок рынке компания \
    компании акции акций инвесторы инвесторов цены цен доклад выборы выборов политика \
    экономика экономики рост роста инфляция инфляции банк банка ставка ставку торговля \
    торговли пошлины сделка сделки переговоры переговоров безопасность армия граница границы \
    суд суда решение закон закона полиция город города регион региона страна страны неделе \
    месяц квартал квартале процентов миллиарда миллионов выручка прибыль аналитики данные \
    технологии энергетика нефть нефти газ газа климат погода здравоохранение больница школа \
    рабочие забастовка протест парламент голосование бюджет бюджета долг налог налоги \
    поставки производство завод спрос спроса заявил сообщил сообщила отметил году было будет \
    ещё объём объёма учёные всё жители власти ведомство ведомства отрасль прогноз рубль \
    рубля курс доллара юаня валюты облигации доходность реформа оппозиция саммит соглашение \
    расследование прокуратура иск регулятор слияние стартап аэропорт рейсы жильё ипотека \
    потребители розница продажи безработица зарплаты пенсии";

const RU_PROPER: &str = "Москва Москве Россия России Китай Китая Пекин Вашингтон Европа Германия Минфин ЦБ \
    «Газпром» «Роснефть» Сбербанк Госдума Кремль ЕС США Санкт-Петербург Новосибирск Ёлкин";

const RU_CHIP: &str = "Nvidia H200 чипы чипов чипами полупроводников полупроводники Huawei ИИ-чипы";

const RU_EXPORT: &str = "экспорт экспорта экспортных санкции санкций лицензии экспортный_контроль";

// ---------------------------------------------------------------- Chinese

const ZH_FUNCTION: &str = "的 的 的 了 在 和 是 对 与 也 将 已 为 于 并 等";

const ZH_CONTENT: &str = "政府 官员 市场 公司 股票 投资者 价格 报告 部长 总统 选举 政策 经济 增长 通胀 银行 央行 利率 贸易 关税 协议 谈判 安全 军队 边境 法院 裁决 法律 警方 \
    城市 地区 国家 本周 上月 季度 百分之 亿元 万元 收入 利润 分析师 数据 科技 能源 石油 天然气 气候 天气 健康 医院 学校 学生 工人 工会 罢工 抗议 议会 \
    投票 预算 债务 税收 供应链 生产 工厂 需求 表示 认为 宣布 发布 今年 去年 已经 将会 进一步 发展 合作 企业 行业 消费者 人工智能 电动汽车 新能源 房地产 \
    基础设施 外交部 发言人 记者 会议 计划 措施 影响 风险 稳定 改革 开放 创新";

const ZH_PROPER: &str =
    "北京 上海 深圳 香港 美国 中国 欧洲 日本 俄罗斯 德国 国务院 商务部 华尔街 苹果公司 特斯拉";

const ZH_LATIN: &str = "AI GPU iPhone 5G CEO ＡＩ ＧＤＰ GDP APEC WTO Ｑ３";

const ZH_CHIP: &str =
    "英伟达 英伟达H200芯片 芯片 半导体 华为 光刻机 Ｈ２００ 英伟达Ｈ２００ AI芯片";

const ZH_EXPORT: &str = "出口 出口管制 制裁 许可证 对华出口";

// ---------------------------------------------------------------- items

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Ru,
    Zh,
}

/// News item texts totalling about `bytes` bytes (at least one item), each
/// 1–3 KB: a headline, a blank line or a newline, paragraphs.
pub fn corpus(bytes: usize) -> Vec<String> {
    let v = &*VOCAB;
    let mut rng = Rng::new(0x6e65_7773_7761_7463); // "newswatc"
    let mut items = Vec::new();
    let mut total = 0;
    while total < bytes || items.is_empty() {
        let lang = match rng.below(10) {
            0..=4 => Lang::En,
            5..=7 => Lang::Ru,
            _ => Lang::Zh,
        };
        let item = item(v, &mut rng, lang);
        total += item.len();
        items.push(item);
    }
    items
}

fn item(v: &Vocab, rng: &mut Rng, lang: Lang) -> String {
    let target = rng.range(1024, 3072);
    let topic = rng.chance(6.0);
    let mut s = String::with_capacity(target + 512);
    sentence(v, rng, lang, topic, true, &mut s);
    s.push_str(if rng.chance(70.0) { "\n\n" } else { "\n" });
    while s.len() < target {
        let n = rng.range(2, 5);
        for k in 0..n {
            if k > 0 && s.len() >= target {
                break;
            }
            if k > 0 {
                s.push_str(match (lang, rng.below(20)) {
                    (Lang::Zh, 0) => "\n",
                    (Lang::Zh, _) => "",
                    (_, 0) => "  ",
                    _ => " ",
                });
            }
            sentence(v, rng, lang, topic, false, &mut s);
        }
        s.push_str(if rng.chance(85.0) { "\n\n" } else { "\n" });
    }
    s.truncate(s.trim_end().len());
    s
}

fn sentence(v: &Vocab, rng: &mut Rng, lang: Lang, topic: bool, headline: bool, s: &mut String) {
    match lang {
        Lang::En => en_sentence(v, rng, topic, headline, s),
        Lang::Ru => ru_sentence(v, rng, topic, headline, s),
        Lang::Zh => zh_sentence(v, rng, topic, headline, s),
    }
}

/// A core watch word for an item: now and then on topic, rarely otherwise.
fn watch_word<'a>(
    rng: &mut Rng,
    topic: bool,
    chip: &'a [String],
    export: &'a [String],
) -> Option<&'a str> {
    let (p_chip, p_export) = if topic { (3.0, 2.0) } else { (0.03, 0.03) };
    if rng.chance(p_chip) {
        Some(rng.word(chip))
    } else if rng.chance(p_export) {
        Some(rng.word(export))
    } else {
        None
    }
}

/// `word`, sometimes with its diacritics as combining sequences (NFD).
fn maybe_decomposed(rng: &mut Rng, word: &str, s: &mut String) {
    if !word.is_ascii() && rng.chance(30.0) {
        s.extend(word.nfd());
    } else {
        s.push_str(word);
    }
}

fn capitalize_into(word: &str, s: &mut String) {
    let mut cs = word.chars();
    if let Some(c) = cs.next() {
        s.extend(c.to_uppercase());
        s.push_str(cs.as_str());
    }
}

/// Capitalizes what was written to `s` from byte `start` on.
fn capitalize_from(s: &mut String, start: usize) {
    let word = s.split_off(start);
    capitalize_into(&word, s);
}

fn number(rng: &mut Rng, lang: Lang, s: &mut String) {
    let n = rng.range(1, 999);
    let d = rng.below(10);
    let nbsp = if rng.chance(50.0) {
        '\u{a0}'
    } else {
        '\u{202f}'
    };
    let t = match (lang, rng.below(7)) {
        (Lang::En, 0) => format!("${n}.{d} billion"),
        (Lang::En, 1) => format!("{n}.{d}%"),
        (Lang::En, 2) => format!("{n},{:03}", rng.below(1000)),
        (Lang::En, 3) => format!("20{:02}–20{:02}", 10 + d, 11 + d),
        (Lang::En, 4) => format!("€{n}{nbsp}million"),
        (Lang::En, 5) => format!("{n}–{}", n + rng.range(1, 50)),
        (Lang::En, _) => format!("20{:02}", 10 + rng.below(16)),
        (Lang::Ru, 0) => format!("{n}{nbsp}млрд{nbsp}руб."),
        (Lang::Ru, 1) => format!("{n},{d}%"),
        (Lang::Ru, 2) => format!("{n}{nbsp}{:03}", rng.below(1000)),
        (Lang::Ru, 3) => format!("20{:02}{nbsp}г.", 10 + rng.below(16)),
        (Lang::Ru, 4) => format!("{n}{nbsp}млн долларов"),
        (Lang::Ru, _) => n.to_string(),
        (Lang::Zh, 0) => full_width_digits(&format!("20{:02}年", 10 + d)),
        (Lang::Zh, 1) => format!("{n}.{d}%"),
        (Lang::Zh, 2) => full_width_digits(&format!("{n}亿美元")),
        (Lang::Zh, 3) => format!("{n}亿元"),
        (Lang::Zh, 4) => format!("20{:02}年", 10 + rng.below(16)),
        (Lang::Zh, _) => format!("{n}万"),
    };
    s.push_str(&t);
}

fn full_width_digits(t: &str) -> String {
    t.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Where a quotation opens in a sentence of `words` words, if it has one.
fn quote_start(rng: &mut Rng, words: usize) -> Option<usize> {
    rng.chance(15.0)
        .then(|| rng.range(1, words.saturating_sub(3).max(1)))
}

fn en_sentence(v: &Vocab, rng: &mut Rng, topic: bool, headline: bool, s: &mut String) {
    let words = if headline {
        rng.range(5, 11)
    } else {
        rng.range(8, 24)
    };
    let quote_at = quote_start(rng, words);
    let mut in_quote = 0;
    for w in 0..words {
        if w > 0 {
            if rng.chance(5.0) && w + 2 < words {
                s.push_str(if rng.chance(70.0) { " — " } else { " – " });
            } else if rng.chance(6.0) {
                s.push_str(", ");
            } else {
                s.push(' ');
            }
        }
        if quote_at == Some(w) {
            s.push(if rng.chance(85.0) { '“' } else { '"' });
            in_quote = rng.range(2, 6);
        }
        let start = s.len();
        if let Some(ww) = watch_word(rng, topic, &v.en_chip, &v.en_export) {
            s.push_str(ww);
        } else {
            match rng.below(100) {
                0..=37 => s.push_str(rng.word(&v.en_function)),
                38..=84 => s.push_str(rng.word(&v.en_content)),
                85..=90 => {
                    let word = rng.word(&v.en_proper);
                    maybe_decomposed(rng, word, s);
                }
                91..=92 => {
                    let word = rng.word(&v.en_diacritic);
                    maybe_decomposed(rng, word, s);
                }
                93..=95 => s.push_str(rng.word(&v.en_contractions)),
                _ => number(rng, Lang::En, s),
            }
        }
        if w == 0 || (headline && rng.chance(60.0)) {
            capitalize_from(s, start);
        }
        if in_quote > 0 {
            in_quote -= 1;
            if in_quote == 0 || w + 1 == words {
                s.push(if rng.chance(85.0) { '”' } else { '"' });
                in_quote = 0;
            }
        }
    }
    if !headline {
        s.push_str(match rng.below(100) {
            0..=2 => "…",
            3..=4 => "?",
            _ => ".",
        });
    }
}

fn ru_sentence(v: &Vocab, rng: &mut Rng, topic: bool, headline: bool, s: &mut String) {
    let words = if headline {
        rng.range(4, 9)
    } else {
        rng.range(7, 20)
    };
    let quote_at = quote_start(rng, words);
    let mut in_quote = 0;
    let mut closing = '»';
    for w in 0..words {
        if w > 0 {
            if rng.chance(7.0) && w + 2 < words {
                s.push_str(if rng.chance(80.0) {
                    " — "
                } else {
                    " –\u{a0}"
                });
            } else if rng.chance(7.0) {
                s.push_str(", ");
            } else {
                s.push(' ');
            }
        }
        if quote_at == Some(w) {
            let (open, close) = if rng.chance(80.0) {
                ('«', '»')
            } else {
                ('„', '“')
            };
            s.push(open);
            closing = close;
            in_quote = rng.range(2, 5);
        }
        let start = s.len();
        if let Some(ww) = watch_word(rng, topic, &v.ru_chip, &v.ru_export) {
            s.push_str(ww);
        } else {
            match rng.below(100) {
                0..=34 => s.push_str(rng.word(&v.ru_function)),
                35..=84 => s.push_str(rng.word(&v.ru_content)),
                85..=92 => s.push_str(rng.word(&v.ru_proper)),
                93..=94 => {
                    let word = rng.word(&v.en_proper);
                    maybe_decomposed(rng, word, s);
                }
                _ => number(rng, Lang::Ru, s),
            }
        }
        if w == 0 {
            capitalize_from(s, start);
        } else if headline && rng.chance(5.0) {
            // Shouting headlines: "ЭКСПОРТ ЧИПОВ".
            let word = s.split_off(start);
            s.push_str(&word.to_uppercase());
        }
        if in_quote > 0 {
            in_quote -= 1;
            if in_quote == 0 || w + 1 == words {
                s.push(closing);
                in_quote = 0;
            }
        }
    }
    if !headline {
        s.push_str(match rng.below(100) {
            0..=3 => "…",
            4..=5 => "?",
            _ => ".",
        });
    }
}

fn zh_sentence(v: &Vocab, rng: &mut Rng, topic: bool, headline: bool, s: &mut String) {
    let words = if headline {
        rng.range(4, 9)
    } else {
        rng.range(8, 22)
    };
    let quote_at = quote_start(rng, words);
    let mut in_quote = 0;
    for w in 0..words {
        if w > 0 {
            match rng.below(100) {
                0..=7 if w + 2 < words => s.push('，'),
                8 if w + 2 < words => s.push('、'),
                9 if w + 2 < words => s.push_str("——"),
                10 if w + 2 < words => s.push('：'),
                11 => s.push(' '),
                _ => {}
            }
        }
        if quote_at == Some(w) {
            s.push('“');
            in_quote = rng.range(2, 5);
        }
        if let Some(ww) = watch_word(rng, topic, &v.zh_chip, &v.zh_export) {
            s.push_str(ww);
        } else {
            match rng.below(100) {
                0..=24 => s.push_str(rng.word(&v.zh_function)),
                25..=81 => s.push_str(rng.word(&v.zh_content)),
                82..=89 => s.push_str(rng.word(&v.zh_proper)),
                90..=93 => s.push_str(rng.word(&v.zh_latin)),
                94..=95 => {
                    s.push('（');
                    s.push_str(rng.word(&v.zh_proper));
                    s.push('）');
                }
                _ => number(rng, Lang::Zh, s),
            }
        }
        if in_quote > 0 {
            in_quote -= 1;
            if in_quote == 0 || w + 1 == words {
                s.push('”');
                in_quote = 0;
            }
        }
    }
    if !headline {
        s.push_str(match rng.below(100) {
            0..=2 => "……",
            3..=5 => "！",
            6..=7 => "？",
            _ => "。",
        });
    }
}

/// `text` cut into items of about `item_bytes` each, every cut just after
/// the first space at or past `item_bytes` (the last item may be shorter):
/// the benchmarks' ASCII corpus as news-sized items.
pub fn split_at_spaces(text: &str, item_bytes: usize) -> Vec<String> {
    let mut items = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = if rest.len() <= item_bytes {
            rest.len()
        } else {
            rest[item_bytes..]
                .find(' ')
                .map_or(rest.len(), |i| item_bytes + i + 1)
        };
        items.push(rest[..cut].to_owned());
        rest = &rest[cut..];
    }
    items
}

/// Pure ASCII English of about `bytes` bytes (at least `bytes`): sentences
/// in paragraphs separated by blank lines, straight quotes, `--` dashes.
pub fn ascii_english(bytes: usize) -> String {
    let v = &*VOCAB;
    let mut rng = Rng::new(0x6173_6369_6965_6e67); // "asciieng"
    let mut s = String::with_capacity(bytes + 256);
    while s.len() < bytes {
        let sentences = rng.range(2, 6);
        for k in 0..sentences {
            if k > 0 {
                s.push(' ');
            }
            let words = rng.range(8, 24);
            for w in 0..words {
                if w > 0 {
                    s.push_str(match rng.below(100) {
                        0..=4 => ", ",
                        5 if w + 2 < words => " -- ",
                        _ => " ",
                    });
                }
                let start = s.len();
                match rng.below(100) {
                    0..=37 => s.push_str(rng.word(&v.en_function)),
                    38..=86 => s.push_str(rng.word(&v.en_content)),
                    87..=92 => s.push_str(rng.word(&v.en_ascii_proper)),
                    93..=94 => {
                        s.push('"');
                        s.push_str(rng.word(&v.en_content));
                        s.push('"');
                    }
                    _ => s.push_str(&format!("{}.{}%", rng.range(1, 99), rng.below(10))),
                }
                if w == 0 {
                    capitalize_from(&mut s, start);
                }
            }
            s.push('.');
        }
        s.push_str("\n\n");
    }
    s
}

// ---------------------------------------------------------------- debris

/// One word in this many gets a piece of debris in [`dirty`].
pub const DEBRIS_WORD_EVERY: usize = 10;
/// One single space between two words in this many becomes a hyphen in
/// [`dirty`].
pub const SPACE_TO_HYPHEN_EVERY: usize = 50;
/// One hyphen between two words in this many becomes a space in [`dirty`].
pub const HYPHEN_TO_SPACE_EVERY: usize = 2;
/// One item in this many has CRLF line ends in [`dirty`].
pub const CRLF_ITEM_EVERY: usize = 4;

/// The items of [`corpus`]`(bytes)` as publishers send them (SPEC 2a): the
/// same words, with about one word in [`DEBRIS_WORD_EVERY`] carrying one
/// piece of debris:
///
/// - a word with precomposed letters (`é`, `ё`, `ü`, ...) picked for debris
///   is decomposed (NFD) half of the time;
/// - otherwise one of, as the word allows: a soft hyphen U+00AD inside it
///   (words of 4 characters or more); a zero-width space, non-joiner, joiner
///   or word joiner (U+200B, U+200C, U+200D, U+2060) inside it; `™` or `®`
///   glued after it (capitalized words); full-width forms for its letters
///   and digits (ASCII words: `Ｎｖｉｄｉａ`).
///
/// Besides, about one space between two words in [`SPACE_TO_HYPHEN_EVERY`]
/// becomes a hyphen (`-`, U+2010 or U+2011), one hyphen between two words
/// in [`HYPHEN_TO_SPACE_EVERY`] a space (`Санкт Петербург`), and one item in
/// [`CRLF_ITEM_EVERY`] ends its lines with CRLF (no BOM). Removing the
/// debris gives the clean item back, up to hyphens and spaces and NFKC
/// (tested below), so under SPEC 2a it raises the same alerts. The
/// metamorphic tests (`tests/it/metamorphic.rs`) rewrite every word one way
/// at a time; this is a mix at a share, for measuring.
pub fn dirty(bytes: usize) -> Vec<String> {
    let mut rng = Rng::new(0x6469_7274_7974_7874); // "dirtytxt"
    corpus(bytes)
        .iter()
        .map(|item| with_debris(item, &mut rng))
        .collect()
}

/// What [`dirty`] takes for a word: letters, digits and the combining
/// diacritics the corpus decomposes.
fn in_word(c: char) -> bool {
    c.is_alphanumeric() || is_combining(c)
}

fn is_combining(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

fn with_debris(item: &str, rng: &mut Rng) -> String {
    let mut s = String::with_capacity(item.len() + item.len() / 8);
    let mut rest = item;
    let mut prev = None;
    while let Some(c) = rest.chars().next() {
        if in_word(c) {
            let len = rest.find(|c: char| !in_word(c)).unwrap_or(rest.len());
            let (word, after) = rest.split_at(len);
            if rng.below(DEBRIS_WORD_EVERY) == 0 {
                word_with_debris(word, rng, &mut s);
            } else {
                s.push_str(word);
            }
            prev = word.chars().next_back();
            rest = after;
            continue;
        }
        rest = &rest[c.len_utf8()..];
        let between_words = prev.is_some_and(in_word) && rest.chars().next().is_some_and(in_word);
        match c {
            ' ' if between_words && rng.below(SPACE_TO_HYPHEN_EVERY) == 0 => {
                s.push(*rng.pick(&['-', '-', '\u{2010}', '\u{2011}']));
            }
            '-' if between_words && rng.below(HYPHEN_TO_SPACE_EVERY) == 0 => s.push(' '),
            c => s.push(c),
        }
        prev = Some(c);
    }
    if rng.below(CRLF_ITEM_EVERY) == 0 {
        s = s.replace('\n', "\r\n");
    }
    s
}

/// The debris one word can take.
#[derive(Clone, Copy)]
enum Debris {
    SoftHyphen,
    ZeroWidth,
    Trademark,
    FullWidth,
}

fn word_with_debris(word: &str, rng: &mut Rng, s: &mut String) {
    if word.nfd().ne(word.chars()) && rng.chance(50.0) {
        s.extend(word.nfd());
        return;
    }
    let chars: Vec<char> = word.chars().collect();
    // Where an invisible character can go: inside the word, not before a
    // combining mark.
    let inside: Vec<usize> = (1..chars.len())
        .filter(|&i| !is_combining(chars[i]))
        .collect();
    let mut kinds = Vec::with_capacity(4);
    if !inside.is_empty() {
        kinds.push(Debris::ZeroWidth);
    }
    if chars.len() >= 4 && !inside.is_empty() {
        kinds.push(Debris::SoftHyphen);
    }
    if chars[0].is_uppercase() {
        kinds.push(Debris::Trademark);
    }
    if word.is_ascii() {
        kinds.push(Debris::FullWidth);
    }
    let Some(&kind) = (!kinds.is_empty()).then(|| rng.pick(&kinds)) else {
        s.push_str(word);
        return;
    };
    let invisible = match kind {
        Debris::SoftHyphen => '\u{ad}',
        Debris::ZeroWidth => *rng.pick(&['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}']),
        Debris::Trademark => {
            s.push_str(word);
            s.push(if rng.chance(70.0) { '™' } else { '®' });
            return;
        }
        Debris::FullWidth => {
            // U+FF01..U+FF5E are `!`..`~` in full width.
            s.extend(word.chars().map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
                c => c,
            }));
            return;
        }
    };
    let at = *rng.pick(&inside);
    s.extend(&chars[..at]);
    s.push(invisible);
    s.extend(&chars[at..]);
}

// ---------------------------------------------------------------- terms

/// The core watch terms, chip-related and export-related alternating, so that
/// spreading terms round-robin over an even number of sets puts chips in the
/// even sets and exports in the odd ones; the on-topic items carry them.
const CORE_TERMS: &str = "Nvidia export* H200 экспорт* AI_chip* 出口 чип* export_control* 芯片 sanction* 英伟达 санкци* \
    semiconductor* 制裁 полупроводник* licen* 半导体 лиценз* Huawei 许可证 光刻机 Commerce_Department \
    Ascend_910B 出口管制";

const EN_SYLLABLES: &str = "al an ar ba be bel bri ca cor da del dor el en er fa fer ga gen ha in is ka kor la len \
    li lo ma mar mer mi mo na ne nor o pa per ra ren ri ro sa sel si so ta ter ti to tra u \
    va ven vi vo za zen qua sto gri plu xan yor wen thal dri kle";

const EN_ENDINGS: &str = "tech corp ia ex on is ix ora gen tron ville stad burg";

const EN_COMPANY: &str = "Holdings Group Dynamics Systems Labs Capital Energy Motors Logistics Semiconductor \
    Robotics Pharma Mining Aerospace Bank";

const EN_REAL_TERMS: &str = "lithium cobalt rare_earth uranium hypersonic quantum_computing satellite drone missile \
    pipeline refinery tanker gallium germanium graphite nickel polysilicon wafer foundry \
    lithography supercomputer encryption ransomware data_breach cyberattack espionage \
    smuggling dual-use end_user entity_list blacklist embargo tariff_exemption antitrust \
    insider_trading bankruptcy default downgrade recall";

const RU_SYLLABLES: &str = "ба бе ви во га гу да де жи за зо ка ко ку ла ле ли ма ми мо на не но па пе по ра ре ро \
    са се со та те ти то фа ха це ча ше ю я ар ор ен ин ов ск ст тр пр кр бр гр дв ёж лё";

/// Characters for synthetic Chinese terms: partly the corpus's own, partly
/// characters it never uses.
const ZH_CHARS: &str = "国家公司市场经济发展科技能源银行政府安全贸易合作企业集团股份有限\
    电子信息网络通信材料化工医药生物航空航天船舶重工机械汽车装备光伏风电储能锂钴镍稀土钢铁\
    煤炭石油天然气港口物流铁路电网水利农业粮食种业数字智能算力数据中心云计算量子卫星导航遥感\
    无人机雷达导弹舰艇核电铀矿钨钼镓锗石墨硅片晶圆封装测试光刻蚀刻薄膜沉积离子注入清洗检测\
    东南西北中华新兴长江黄河珠海天津重庆成都武汉西安杭州南京苏州合肥青岛厦门大连沈阳哈尔滨";

/// `n` distinct (case-insensitively) realistic watch terms, the same for the
/// same `n`, and `terms(n)` is a prefix of `terms(m)` for `m > n`: the core
/// chip and export terms first, then English names and words, company names,
/// Russian stems with `*` and Russian names, Chinese 2–4 character words and
/// model codes like `X1234`.
pub fn terms(n: usize) -> Vec<String> {
    let v = &*VOCAB;
    let mut rng = Rng::new(0x7465_726d_7365_6564); // "termseed"
    let mut seen: HashSet<String> = HashSet::new();
    // Synthetic terms must not be common corpus words, or every item would
    // match them.
    let vocabulary: HashSet<String> =
        [&v.en_function, &v.en_content, &v.ru_function, &v.ru_content]
            .into_iter()
            .flatten()
            .map(|w| w.to_lowercase())
            .collect();
    let mut out = Vec::with_capacity(n);
    let mut push = |t: String, out: &mut Vec<String>| {
        if out.len() < n && seen.insert(t.to_lowercase()) {
            out.push(t);
        }
    };
    for t in &v.core_terms {
        push(t.clone(), &mut out);
    }
    while out.len() < n {
        let t = match rng.below(100) {
            0..=29 => {
                let w = en_word(v, &mut rng);
                if vocabulary.contains(&w) {
                    continue;
                }
                let mut c = String::new();
                capitalize_into(&w, &mut c);
                c
            }
            30..=34 => rng.word(&v.en_real_terms).to_owned(),
            35..=44 => {
                let mut c = String::new();
                capitalize_into(&en_word(v, &mut rng), &mut c);
                c.push(' ');
                c.push_str(rng.word(&v.en_company));
                c
            }
            45..=64 => {
                let mut w = String::new();
                while w.chars().count() < 4 {
                    for _ in 0..rng.range(2, 4) {
                        w.push_str(rng.word(&v.ru_syllables));
                    }
                }
                if vocabulary.contains(&w) {
                    continue;
                }
                if rng.chance(70.0) {
                    w.push('*');
                    w
                } else {
                    let mut c = String::new();
                    capitalize_into(&w, &mut c);
                    c
                }
            }
            65..=84 => {
                let len = match rng.below(10) {
                    0..=1 => 2,
                    2..=6 => 3,
                    _ => 4,
                };
                (0..len).map(|_| *rng.pick(&v.zh_chars)).collect()
            }
            _ => {
                let letters: String = (0..rng.range(1, 3))
                    .map(|_| (b'A' + rng.below(26) as u8) as char)
                    .collect();
                let digits = rng.range(10, 99_999);
                match rng.below(4) {
                    0 => format!("{letters}-{digits}"),
                    1 => format!("{letters}{digits}{}", (b'A' + rng.below(26) as u8) as char),
                    _ => format!("{letters}{digits}"),
                }
            }
        };
        push(t, &mut out);
    }
    out
}

fn en_word(v: &Vocab, rng: &mut Rng) -> String {
    let mut w = String::new();
    for _ in 0..rng.range(2, 4) {
        w.push_str(rng.word(&v.en_syllables));
    }
    if rng.chance(40.0) {
        w.push_str(rng.word(&v.en_endings));
    }
    w
}

/// Terms per set for `n_terms` terms: a tenth of them, between 1 and 100.
pub fn terms_per_set(n_terms: usize) -> usize {
    (n_terms / 10).clamp(1, 100)
}

/// Watchlist TOML over `terms(n_terms)`: sets `s00000`, `s00001`, … of about
/// [`terms_per_set`] terms each, filled round-robin, and `n_rules` rules over
/// pairs of sets (`sA AND sB`, every fourth `sA NEAR/5 sB`). The first rules
/// pair neighbouring sets, so with an even number of sets each pairs a chip
/// set with an export set.
pub fn watchlist_toml(n_terms: usize, n_rules: usize) -> String {
    watchlist_toml_with(n_terms, n_rules, Operators::Spec2)
}

/// The operators the rules of [`watchlist_toml_with`] use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operators {
    /// SPEC section 2: `AND`, every fourth rule `NEAR/5`.
    Spec2,
    /// SPEC 2b, in turn: `body:(sA AND sB)`, `FIRST/40 sA AND sB`,
    /// `sA PRE/3 sB`, `sA NOT NEAR/5 sB`, `sA NEAR/S sB`, `sA NEAR/P sB`,
    /// `ATLEAST/2 sA AND sB`, `sA AND sB AND lang:ru`,
    /// `sA AND NOT site:example.com`.
    Spec2b,
}

/// [`watchlist_toml`] with rules of `operators`.
pub fn watchlist_toml_with(n_terms: usize, n_rules: usize, operators: Operators) -> String {
    let terms = terms(n_terms);
    let n_sets = terms.len().div_ceil(terms_per_set(n_terms)).max(1);
    let mut sets: Vec<Vec<&str>> = vec![Vec::new(); n_sets];
    for (i, t) in terms.iter().enumerate() {
        sets[i % n_sets].push(t);
    }
    let mut toml = String::with_capacity(n_terms * 16 + n_rules * 64);
    for (k, set) in sets.iter().enumerate() {
        toml.push_str(&format!("[sets.{}]\nterms = [", set_name(k)));
        for (j, t) in set.iter().enumerate() {
            if j > 0 {
                toml.push_str(", ");
            }
            toml.push('"');
            for c in t.chars() {
                if matches!(c, '"' | '\\') {
                    toml.push('\\');
                }
                toml.push(c);
            }
            toml.push('"');
        }
        toml.push_str("]\n\n");
    }
    for i in 0..n_rules {
        let a = i % n_sets;
        let b = (a + 1 + 2 * (i / n_sets)) % n_sets;
        let (sa, sb) = (set_name(a), set_name(b));
        let when = if a == b {
            set_name(a)
        } else if operators == Operators::Spec2b {
            when_2b(i, &sa, &sb)
        } else if i % 4 == 3 {
            format!("{} NEAR/5 {}", set_name(a), set_name(b))
        } else {
            format!("{} AND {}", set_name(a), set_name(b))
        };
        toml.push_str(&format!("[[rules]]\nid = \"r{i:05}\"\nwhen = '{when}'\n\n"));
    }
    toml
}

/// Set `k`'s name in [`watchlist_toml`]: `s00000`, `s00001`, ….
pub fn set_name(k: usize) -> String {
    format!("s{k:05}")
}

/// Rule `i` of [`Operators::Spec2b`] over sets `sa` and `sb`: the operators
/// of SPEC 2b in turn.
pub fn when_2b(i: usize, sa: &str, sb: &str) -> String {
    match i % 9 {
        0 => format!("body:({sa} AND {sb})"),
        1 => format!("FIRST/40 {sa} AND {sb}"),
        2 => format!("{sa} PRE/3 {sb}"),
        3 => format!("{sa} NOT NEAR/5 {sb}"),
        4 => format!("{sa} NEAR/S {sb}"),
        5 => format!("{sa} NEAR/P {sb}"),
        6 => format!("ATLEAST/2 {sa} AND {sb}"),
        7 => format!("{sa} AND {sb} AND lang:ru"),
        _ => format!("{sa} AND NOT site:example.com"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` without the debris of [`dirty`]: invisible characters, `™`
    /// and `®` removed, CRLF as LF, hyphens as spaces, then NFKC (which
    /// composes NFD and narrows full-width forms).
    fn without_debris(text: &str) -> String {
        text.replace("\r\n", "\n")
            .chars()
            .filter(|c| {
                !matches!(
                    c,
                    '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '™' | '®'
                )
            })
            .map(|c| match c {
                '-' | '\u{2010}' | '\u{2011}' => ' ',
                c => c,
            })
            .nfkc()
            .collect()
    }

    #[test]
    fn dirty_is_the_corpus_with_every_kind_of_debris() {
        const BYTES: usize = 256 << 10;
        let clean = corpus(BYTES);
        let dirty = dirty(BYTES);
        assert_eq!(dirty, super::dirty(BYTES), "deterministic");
        assert_eq!(clean.len(), dirty.len());
        for (i, (c, d)) in clean.iter().zip(&dirty).enumerate() {
            assert_eq!(without_debris(c), without_debris(d), "item {i}");
        }
        let (clean, dirty) = (clean.concat(), dirty.concat());
        let more = |what: &str| dirty.matches(what).count() > clean.matches(what).count();
        for (kind, what) in [
            ("soft hyphen", "\u{ad}"),
            ("zero-width space", "\u{200b}"),
            ("zero-width non-joiner", "\u{200c}"),
            ("zero-width joiner", "\u{200d}"),
            ("word joiner", "\u{2060}"),
            ("trade mark", "™"),
            ("registered", "®"),
            ("NFD é", "e\u{301}"),
            ("NFD ё", "е\u{308}"),
            ("NFD ü", "u\u{308}"),
            ("CRLF", "\r\n"),
            ("hyphen U+2010 for a space", "\u{2010}"),
            ("non-breaking hyphen U+2011 for a space", "\u{2011}"),
            ("a space for a hyphen", "Санкт Петербург"),
        ] {
            assert!(
                more(what),
                "{kind} ({what:?}) missing from the dirty corpus"
            );
        }
        let full_width_lower = |t: &str| t.chars().filter(|c| ('ａ'..='ｚ').contains(c)).count();
        assert!(
            full_width_lower(&dirty) > full_width_lower(&clean),
            "full-width ASCII missing from the dirty corpus"
        );
        let ascii_hyphens = |t: &str| t.matches('-').count();
        assert!(
            ascii_hyphens(&dirty) > ascii_hyphens(&clean),
            "no space became '-' in the dirty corpus"
        );
    }
}
