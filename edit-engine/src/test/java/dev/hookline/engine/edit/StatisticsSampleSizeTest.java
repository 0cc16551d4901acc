/*
 * The default size of the key-statistics sample grows with the MLP width (LayerStatistics#defaultLines): a
 * d_ff x d_ff C0 from too few tokens whitens nearest-key scopes badly (docs/BENCHMARKS.md, twenty-fifth session).
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatisticsSampleSizeTest {

    @Test
    void theDefaultIsAThousandLinesUpToD400AndTwoAndAHalfLinesPerDimensionAbove() {
        assertEquals(1000, LayerStatistics.defaultLines(64));
        assertEquals(1000, LayerStatistics.defaultLines(384)); // tiny and demo keep what they had
        assertEquals(1000, LayerStatistics.defaultLines(400));
        assertEquals(1003, LayerStatistics.defaultLines(401)); // ceil(1002.5)
        assertEquals(10240, LayerStatistics.defaultLines(4096)); // demo-d256x, large
        assertEquals(16000, LayerStatistics.defaultLines(6400)); // GPT2-XL
        assertEquals(Integer.MAX_VALUE, LayerStatistics.defaultLines(Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> LayerStatistics.defaultLines(0));
    }

    @Test
    void zeroMeansTheDefaultAndNegativeSizesAreRefused() {
        assertEquals(10240, LayerStatistics.resolveLines(LayerStatistics.AUTO_LINES, 4096));
        assertEquals(7, LayerStatistics.resolveLines(7, 4096));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerStatistics.resolveLines(-1, 64));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    /** The default sample is the first max(1000, 5 d_ff / 2) lines: the same C0 and cache file as asking for them. */
    @Test
    void theDefaultSampleIsThatManyLinesAndSharesTheirCache(@TempDir Path tmp) throws Exception {
        TextTokenizer tok = EditFixtures.tokenizer();
        List<String> corpus = new ArrayList<>(EditFixtures.corpus());
        while (corpus.size() < 1200) {
            corpus.addAll(EditFixtures.corpus());
        }
        int[] layers = {1};
        try (Gpt2Model base = EditFixtures.untrained(3)) { // d_ff 64: the default is 1000 lines
            LayerStatistics auto = LayerStatistics.loadOrCompute(base, tok, corpus, LayerStatistics.AUTO_LINES, layers,
                    tmp.resolve("auto"));
            assertEquals(1000, auto.sampleLines());
            try (var files = Files.list(tmp.resolve("auto"))) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith("-n1000.safetensors")));
            }
            LayerStatistics named = LayerStatistics.compute(base, tok, corpus, 1000, layers, auto.modelDigest());
            LayerStatistics fewer = LayerStatistics.compute(base, tok, corpus, 999, layers, auto.modelDigest());
            assertEquals(named.tokenCount(), auto.tokenCount());
            assertTrue(fewer.tokenCount() < auto.tokenCount());
            double[] a = auto.c0(1);
            double[] b = named.c0(1);
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            assertTrue(worst < 1e-9, "C0 of the default sample differs from 1000 named lines by " + worst);
        }
    }
}
