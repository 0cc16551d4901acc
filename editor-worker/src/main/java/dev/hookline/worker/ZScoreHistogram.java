/*
 * Histogram of the scope test's per-position z-scores at each hooked layer, with the same edges
 * for every layer: positions of the batch's edit prompts at the edit token ("edited") against all
 * positions of the locality sample ("other"). Shows a reviewer how far apart the hook's firing
 * region and unrelated text are (docs/briefs/SHARED-CONTRACTS.md, "zScores").
 */
package dev.hookline.worker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Counts z-scores into fixed bins from -3 to 6 in steps of 0.5; values outside go to the end bins. */
final class ZScoreHistogram {
    static final double LOW = -3.0;
    static final double HIGH = 6.0;
    static final double STEP = 0.5;
    static final int BINS = (int) Math.round((HIGH - LOW) / STEP); // 18 bins, 19 edges

    private final Map<Integer, long[]> edited = new LinkedHashMap<>();
    private final Map<Integer, long[]> other = new LinkedHashMap<>();

    ZScoreHistogram(int[] layers) {
        for (int l : layers) {
            edited.put(l, new long[BINS]);
            other.put(l, new long[BINS]);
        }
    }

    /** The bin edges. */
    static List<Double> edges() {
        List<Double> e = new ArrayList<>();
        for (int i = 0; i <= BINS; i++) {
            e.add(LOW + i * STEP);
        }
        return e;
    }

    /** Adds one z-score; NaN (undefined: one token, or all m equal) is skipped. */
    void add(int layer, double z, boolean isEdited) {
        if (Double.isNaN(z)) {
            return;
        }
        long[] counts = (isEdited ? edited : other).get(layer);
        if (counts == null) {
            return;
        }
        int bin = (int) Math.floor((z - LOW) / STEP);
        counts[Math.max(0, Math.min(BINS - 1, bin))]++;
    }

    /** Counts of one layer. */
    long[] edited(int layer) {
        return edited.get(layer).clone();
    }

    long[] other(int layer) {
        return other.get(layer).clone();
    }

    /** The JSON shape {edges, layers: [{layer, edited, other}]}. */
    Map<String, Object> toJson() {
        List<Map<String, Object>> layers = new ArrayList<>();
        for (int l : edited.keySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", l);
            m.put("edited", edited.get(l));
            m.put("other", other.get(l));
            layers.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("edges", edges());
        out.put("layers", layers);
        return out;
    }
}
