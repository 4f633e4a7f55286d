package newswatch.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.Term;
import org.apache.lucene.monitor.MonitorQuery;
import org.apache.lucene.queries.intervals.IntervalQuery;
import org.apache.lucene.queries.intervals.Intervals;
import org.apache.lucene.queries.intervals.IntervalsSource;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * A newswatch watchlist (TOML, SPEC section 2) as Lucene Monitor queries,
 * one per rule:
 *
 * <ul>
 *   <li>a term: its tokens (same analysis as the documents) as a TermQuery
 *       (one token), PhraseQuery (several), PrefixQuery (one token and a
 *       trailing `*`) or an IntervalQuery phrase ending in a prefix (several
 *       tokens and a `*`);
 *   <li>a set: a BooleanQuery of its terms, SHOULD (with --term-sets, its
 *       one-token terms together as one TermInSetQuery clause);
 *   <li>AND / OR / NOT: BooleanQuery FILTER (MUST, unscored) / SHOULD / MUST_NOT (a NOT that is
 *       not an item of an AND gets a MatchAllDocsQuery beside it);
 *   <li>`A NEAR/n B`: IntervalQuery of maxgaps(n, unordered(A, B)), A and B
 *       the OR of their terms' intervals: at most n positions strictly
 *       between, in either order, overlaps allowed;
 *   <li>`FIRST/n A`: IntervalQuery of maxgaps(n - 1, ordered(START, A)),
 *       START the token {@link Analysis} puts before each field value when
 *       some rule has FIRST: at most n - 1 words of the value before A.
 * </ul>
 */
final class Translate {
    /** Most terms one prefix may expand to in one document batch. */
    static final int PREFIX_EXPANSIONS = 4096;

    record Skipped(String rule, String reason) {}

    /** {@code fieldStarts}: some rule has FIRST/n, whose query needs the
     * {@link Analysis#START} token before each field value. */
    record Result(List<MonitorQuery> queries, List<Skipped> skipped, int terms, int termsDropped,
                  int maxNear, boolean caseField, boolean fieldStarts) {}

    private record SetDef(List<String> terms, boolean caseSensitive) {}

    private final Analysis analysis;
    private final boolean exactCase;
    private final boolean termSets;
    private final Map<String, SetDef> sets = new LinkedHashMap<>();
    private final Map<String, Query> setQueries = new HashMap<>();
    private final Map<String, IntervalsSource> setIntervals = new HashMap<>();
    private int termsDropped;
    private boolean usedCaseField;
    private boolean usedFieldStarts;

    private Translate(Analysis analysis, boolean exactCase, boolean termSets) {
        this.analysis = analysis;
        this.exactCase = exactCase;
        this.termSets = termSets;
    }

    /** What the analyzer must know before it exists: the largest NEAR
     * distance of the file's rules (0 when none; the position gap between
     * fields must be larger), and whether some rule may have FIRST/n (then
     * {@link Analysis} can put its field-start token in; without one, no
     * filter is added to the documents' analysis). A quick scan of the
     * text. */
    record Prescan(int maxNear, boolean first) {}

    static Prescan prescan(Path watchlist) throws IOException {
        JsonNode root = new TomlMapper().readTree(Files.readString(watchlist));
        java.util.regex.Pattern near = java.util.regex.Pattern.compile("(?i)NEAR/(\\d+)");
        java.util.regex.Pattern first = java.util.regex.Pattern.compile("(?i)FIRST/");
        int max = 0;
        boolean anyFirst = false;
        for (JsonNode r : root.path("rules")) {
            String when = r.path("when").asText("");
            java.util.regex.Matcher m = near.matcher(when);
            while (m.find()) max = (int) Math.max(max, Math.min(Long.parseLong(m.group(1)), 1 << 24));
            anyFirst |= first.matcher(when).find();
        }
        return new Prescan(max, anyFirst);
    }

    static Result load(Path watchlist, Analysis analysis, boolean exactCase, boolean termSets)
            throws IOException {
        Translate t = new Translate(analysis, exactCase, termSets);
        JsonNode root = new TomlMapper().readTree(Files.readString(watchlist));
        int terms = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("sets").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<String> ts = new ArrayList<>();
            for (JsonNode term : e.getValue().path("terms")) ts.add(term.asText());
            terms += ts.size();
            t.sets.put(e.getKey(), new SetDef(ts, e.getValue().path("case_sensitive").asBoolean(false)));
        }
        List<MonitorQuery> queries = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        int maxNear = 0;
        for (JsonNode r : root.path("rules")) {
            String id = r.path("id").asText().trim();
            String when = r.path("when").asText();
            try {
                When.Node ast = When.parse(when);
                maxNear = Math.max(maxNear, maxNear(ast));
                queries.add(new MonitorQuery(id, t.query(ast)));
            } catch (When.Unsupported e) {
                skipped.add(new Skipped(id, e.getMessage()));
            }
        }
        return new Result(queries, skipped, terms, t.termsDropped, maxNear, t.usedCaseField, t.usedFieldStarts);
    }

    private static int maxNear(When.Node n) {
        if (n instanceof When.Near near) return near.n();
        if (n instanceof When.Not not) return maxNear(not.inner());
        if (n instanceof When.First first) return maxNear(first.inner());
        List<When.Node> items = n instanceof When.And a ? a.items() : n instanceof When.Or o ? o.items() : List.of();
        int m = 0;
        for (When.Node i : items) m = Math.max(m, maxNear(i));
        return m;
    }

    private Query query(When.Node n) throws When.Unsupported, IOException {
        if (n instanceof When.SetRef s) return setQuery(s.name());
        if (n instanceof When.TermRef t) return orNothing(termQuery(t.text(), false));
        if (n instanceof When.Not not) {
            return new BooleanQuery.Builder()
                    .add(new MatchAllDocsQuery(), Occur.FILTER)
                    .add(query(not.inner()), Occur.MUST_NOT)
                    .build();
        }
        if (n instanceof When.And a) {
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            for (When.Node item : a.items()) {
                // FILTER, not MUST: nothing is scored, and a MUST clause makes
                // every search rewrite the query into its FILTER form first.
                if (item instanceof When.Not not) b.add(query(not.inner()), Occur.MUST_NOT);
                else b.add(query(item), Occur.FILTER);
            }
            return b.build();
        }
        if (n instanceof When.Or o) {
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            for (When.Node item : o.items()) b.add(query(item), Occur.SHOULD);
            return b.build();
        }
        if (n instanceof When.First first) {
            usedFieldStarts = true;
            IntervalsSource src = Intervals.maxgaps(first.n() - 1,
                    Intervals.ordered(Intervals.term(Analysis.START), intervals(first.inner())));
            return new IntervalQuery(Analysis.FIELD, src);
        }
        When.Near near = (When.Near) n;
        IntervalsSource src = Intervals.maxgaps(near.n(),
                Intervals.unordered(intervals(near.left()), intervals(near.right())));
        return new IntervalQuery(Analysis.FIELD, src);
    }

    /** A term that analyses to no token matches nothing. */
    private static Query orNothing(Query q) {
        return q != null ? q : new BooleanQuery.Builder().build();
    }

    private Query setQuery(String name) throws When.Unsupported, IOException {
        Query cached = setQueries.get(name);
        if (cached != null) return cached;
        SetDef set = sets.get(name);
        if (set == null) throw new When.Unsupported("unknown set `" + name + "`");
        boolean cs = set.caseSensitive() && exactCase;
        List<Query> clauses = new ArrayList<>();
        // The one-token terms of a set (most of them) as one TermInSetQuery
        // when --term-sets: one clause to rewrite and weigh instead of one
        // per term (PresearchHandler gives the presearcher its terms back).
        List<BytesRef> single = new ArrayList<>();
        String singleField = cs ? Analysis.FIELD_CASE : Analysis.FIELD;
        for (String term : set.terms()) {
            Analysed a = termSets ? analyse(term, cs) : null;
            if (a != null && !a.prefix() && a.tokens().size() == 1) {
                single.add(new BytesRef(a.tokens().get(0)));
                continue;
            }
            Query q = termQuery(term, cs);
            if (q != null) clauses.add(q);
        }
        if (single.size() == 1) clauses.add(new TermQuery(new Term(singleField, single.get(0))));
        else if (single.size() > 1) clauses.add(new TermInSetQuery(singleField, single));
        Query q;
        if (clauses.size() == 1) {
            q = clauses.get(0);
        } else {
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            for (Query c : clauses) b.add(c, Occur.SHOULD);
            q = b.build();
        }
        setQueries.put(name, q);
        return q;
    }

    private record Analysed(List<String> tokens, boolean prefix, String field) {}

    private Analysed analyse(String written, boolean caseSensitive) throws IOException {
        String text = written.trim();
        boolean prefix = text.endsWith("*");
        if (prefix) text = text.substring(0, text.length() - 1);
        String field = caseSensitive ? Analysis.FIELD_CASE : Analysis.FIELD;
        if (caseSensitive) usedCaseField = true;
        List<String> tokens = analysis.tokens(field, text);
        if (tokens.isEmpty()) {
            termsDropped++;
            return null;
        }
        return new Analysed(tokens, prefix, field);
    }

    /** The query of one term, or null when it analyses to no token. */
    private Query termQuery(String written, boolean caseSensitive) throws IOException {
        Analysed a = analyse(written, caseSensitive);
        if (a == null) return null;
        List<String> t = a.tokens();
        if (!a.prefix()) {
            if (t.size() == 1) return new TermQuery(new Term(a.field(), t.get(0)));
            return new PhraseQuery(a.field(), t.toArray(new String[0]));
        }
        if (t.size() == 1) return new PrefixQuery(new Term(a.field(), t.get(0)));
        return new IntervalQuery(a.field(), termIntervals(a));
    }

    private static IntervalsSource termIntervals(Analysed a) {
        List<String> t = a.tokens();
        IntervalsSource[] parts = new IntervalsSource[t.size()];
        for (int i = 0; i < t.size(); i++) {
            boolean last = i == t.size() - 1;
            parts[i] = last && a.prefix()
                    ? Intervals.prefix(new BytesRef(t.get(i)), PREFIX_EXPANSIONS)
                    : Intervals.term(t.get(i));
        }
        return parts.length == 1 ? parts[0] : Intervals.phrase(parts);
    }

    /** The intervals of a NEAR side or a FIRST operand: a set, a term or an
     * OR of those, in the folded field (intervals cannot mix fields). */
    private IntervalsSource intervals(When.Node side) throws When.Unsupported, IOException {
        List<IntervalsSource> out = new ArrayList<>();
        List<When.Node> items = side instanceof When.Or o ? o.items() : List.of(side);
        for (When.Node item : items) {
            if (item instanceof When.SetRef s) {
                IntervalsSource cached = setIntervals.get(s.name());
                if (cached == null) {
                    SetDef set = sets.get(s.name());
                    if (set == null) throw new When.Unsupported("unknown set `" + s.name() + "`");
                    List<IntervalsSource> terms = new ArrayList<>();
                    for (String term : set.terms()) {
                        Analysed a = analyse(term, false);
                        if (a != null) terms.add(termIntervals(a));
                    }
                    cached = terms.size() == 1 ? terms.get(0) : Intervals.or(false, terms);
                    setIntervals.put(s.name(), cached);
                }
                out.add(cached);
            } else {
                Analysed a = analyse(((When.TermRef) item).text(), false);
                if (a != null) out.add(termIntervals(a));
            }
        }
        if (out.isEmpty()) throw new When.Unsupported("a NEAR side or FIRST operand with no term that analyses to a token");
        return out.size() == 1 ? out.get(0) : Intervals.or(false, out);
    }
}
