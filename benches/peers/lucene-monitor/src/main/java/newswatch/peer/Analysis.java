package newswatch.peer;

import com.ibm.icu.text.Normalizer2;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.icu.ICUNormalizer2Filter;
import org.apache.lucene.analysis.icu.segmentation.DefaultICUTokenizerConfig;
import org.apache.lucene.analysis.icu.segmentation.ICUTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;

/**
 * The analysis of both the documents and the watch terms: ICUTokenizer
 * (UAX #29 words; CJK as one token per character, not dictionary words, so
 * that a CJK term is a phrase of characters and matches anywhere inside CJK
 * text, and NEAR counts each CJK character as one word, as newswatch does)
 * then ICUNormalizer2Filter with NFKC_Casefold (which also removes
 * Default_Ignorable_Code_Points).
 *
 * All scanned fields of an item (title, summary, body) go into one field,
 * {@link #FIELD}, as separate values; the position gap between values is
 * larger than any NEAR distance of the watchlist, so NEAR never joins two
 * fields while AND/OR/NOT see the whole item, as SPEC 2 says.
 *
 * {@link #FIELD_CASE} (only when asked for) is the same text analysed with
 * NFKC but no case folding, for the sets with `case_sensitive = true`.
 *
 * With {@link #markFieldStarts} (a rule has `FIRST/n`), each value of
 * {@link #FIELD} indexed after that begins with the token {@link #START},
 * one position before its first word, which no text analyses to (a control
 * character): `FIRST/n A` is then A within n - 1 words after it. Terms
 * analysed before (the translation) get none.
 */
final class Analysis extends Analyzer {
    static final String FIELD = "text";
    static final String FIELD_CASE = "text_case";
    /** The token before each field value when {@link #markFieldStarts}. */
    static final String START = "\u0001start";

    private final int positionGap;
    /** {@link #FIELD}'s analysis has the {@link StartMarker} filter. */
    private final boolean startMarker;
    private volatile boolean fieldStarts;

    /** {@code startMarker}: a rule may have FIRST/n (else
     * {@link #markFieldStarts} does nothing, and documents are analysed
     * without the filter). */
    Analysis(int positionGap, boolean startMarker) {
        super(PER_FIELD_REUSE_STRATEGY);
        this.positionGap = positionGap;
        this.startMarker = startMarker;
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        // cjkAsWords = false: UAX #29 rules, one token per Han character.
        Tokenizer tok = new ICUTokenizer(new DefaultICUTokenizerConfig(false, true));
        TokenStream ts = FIELD_CASE.equals(fieldName)
                ? new ICUNormalizer2Filter(tok, Normalizer2.getNFKCInstance())
                : new ICUNormalizer2Filter(tok);
        if (startMarker && FIELD.equals(fieldName)) ts = new StartMarker(ts);
        return new TokenStreamComponents(tok, ts);
    }

    /** From now on, each value of {@link #FIELD} begins with {@link #START}. */
    void markFieldStarts() {
        fieldStarts = true;
    }

    /** {@link #START} before the tokens of a value, when {@link #fieldStarts}. */
    private final class StartMarker extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final PositionIncrementAttribute increment = addAttribute(PositionIncrementAttribute.class);
        private final OffsetAttribute offset = addAttribute(OffsetAttribute.class);
        private boolean started;

        StartMarker(TokenStream input) {
            super(input);
        }

        @Override
        public boolean incrementToken() throws IOException {
            if (!started) {
                started = true;
                if (fieldStarts) {
                    clearAttributes();
                    term.setEmpty().append(START);
                    increment.setPositionIncrement(1);
                    offset.setOffset(0, 0);
                    return true;
                }
            }
            return input.incrementToken();
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            started = false;
        }
    }

    @Override
    public int getPositionIncrementGap(String fieldName) {
        return positionGap;
    }

    /** The tokens of `text` as the field `field` indexes them. */
    List<String> tokens(String field, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (TokenStream ts = tokenStream(field, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) out.add(term.toString());
            ts.end();
        }
        return out;
    }
}
