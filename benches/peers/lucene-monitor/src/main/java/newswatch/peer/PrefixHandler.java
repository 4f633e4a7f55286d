package newswatch.peer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.lucene.index.PrefixCodedTerms;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.index.Term;
import org.apache.lucene.monitor.CustomQueryHandler;
import org.apache.lucene.monitor.QueryTree;
import org.apache.lucene.monitor.TermWeightor;
import org.apache.lucene.queries.intervals.IntervalQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.BytesRef;

/**
 * Gives the presearcher the terms of a TermInSetQuery (see Translate), and
 * lets it filter on prefix terms, the Monitor's way for
 * wildcard queries (as its RegexpQueryHandler does for regexps): a prefix
 * query (`export*`, as a PrefixQuery or the prefix part of an interval
 * phrase) is indexed as the term `export` + {@link #MARK}, and each
 * document term also yields each of its prefixes + MARK for the
 * presearcher's document query.
 *
 * Without it a prefix term counts as "any term" for the presearcher: the
 * query holding it is run against every document (with the generated
 * 100k-term watchlist, where the query decomposer makes each term of a
 * top-level OR a query of its own, some 800 queries a document).
 */
final class PrefixHandler implements CustomQueryHandler {
    static final String MARK = "\u0001*";

    @Override
    public QueryTree handleQuery(Query query, TermWeightor weightor) {
        String field;
        String prefix;
        if (query instanceof PrefixQuery p) {
            field = p.getField();
            prefix = p.getPrefix().text();
        } else if (query instanceof IntervalQuery iq) {
            // Intervals.prefix(p) prints as `p*`; anything else is not ours.
            String s = iq.toString(iq.getField());
            if (!s.endsWith("*") || s.length() < 2 || s.chars().anyMatch(c -> c == ' ' || c == '(' || c == ',')) {
                return null;
            }
            field = iq.getField();
            prefix = s.substring(0, s.length() - 1);
        } else if (query instanceof TermInSetQuery ts) {
            // Its terms, as the presearcher would take them from TermQuery
            // clauses of a BooleanQuery (it makes any other multi-term
            // query "any term").
            List<Function<TermWeightor, QueryTree>> terms = new ArrayList<>();
            PrefixCodedTerms.TermIterator it = ts.getTermData().iterator();
            for (BytesRef b = it.next(); b != null; b = it.next()) {
                Term t = new Term(it.field(), BytesRef.deepCopyOf(b));
                terms.add(w -> QueryTree.term(t, w));
            }
            return QueryTree.disjunction(terms, weightor);
        } else {
            return null;
        }
        Term term = new Term(field, prefix + MARK);
        double weight = weightor.applyAsDouble(term);
        return new QueryTree() {
            @Override
            public double weight() {
                return weight;
            }

            @Override
            public void collectTerms(BiConsumer<String, BytesRef> collector) {
                collector.accept(term.field(), term.bytes());
            }

            @Override
            public boolean advancePhase(double minWeight) {
                return false;
            }

            @Override
            public String toString(int depth) {
                return " ".repeat(depth * 4) + "PREFIX " + term;
            }
        };
    }

    @Override
    public TokenStream wrapTermStream(String field, TokenStream in) {
        return new Prefixes(in);
    }

    /** Each term, then each of its prefixes (whole code points) + MARK. */
    private static final class Prefixes extends TokenFilter {
        private final CharTermAttribute termAtt = addAttribute(CharTermAttribute.class);
        private final PositionIncrementAttribute posAtt = addAttribute(PositionIncrementAttribute.class);
        private String current;
        private int end; // chars of `current` in the next prefix to emit

        Prefixes(TokenStream in) {
            super(in);
        }

        @Override
        public boolean incrementToken() throws IOException {
            if (current != null && end <= current.length()) {
                clearAttributes();
                termAtt.setEmpty().append(current, 0, end).append(MARK);
                posAtt.setPositionIncrement(0);
                end = end < current.length() ? current.offsetByCodePoints(end, 1) : end + 1;
                return true;
            }
            if (!input.incrementToken()) return false;
            current = termAtt.toString();
            end = current.isEmpty() ? 1 : current.offsetByCodePoints(0, 1);
            return true;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            current = null;
        }
    }
}
