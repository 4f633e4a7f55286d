package newswatch.peer;

import com.ibm.icu.text.Normalizer2;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.icu.ICUNormalizer2Filter;
import org.apache.lucene.analysis.icu.segmentation.DefaultICUTokenizerConfig;
import org.apache.lucene.analysis.icu.segmentation.ICUTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

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
 */
final class Analysis extends Analyzer {
    static final String FIELD = "text";
    static final String FIELD_CASE = "text_case";

    private final int positionGap;

    Analysis(int positionGap) {
        super(PER_FIELD_REUSE_STRATEGY);
        this.positionGap = positionGap;
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        // cjkAsWords = false: UAX #29 rules, one token per Han character.
        Tokenizer tok = new ICUTokenizer(new DefaultICUTokenizerConfig(false, true));
        TokenStream ts = FIELD_CASE.equals(fieldName)
                ? new ICUNormalizer2Filter(tok, Normalizer2.getNFKCInstance())
                : new ICUNormalizer2Filter(tok);
        return new TokenStreamComponents(tok, ts);
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
