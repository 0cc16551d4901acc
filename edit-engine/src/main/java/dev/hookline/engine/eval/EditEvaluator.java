/*
 * Evaluates edited models on their edit requests against the unedited model's predictions.
 * Reference: ROME/MEMIT compute_rewrite_quality_counterfact (P(new) vs P(true) by mean token
 * NLL) and the teacher-forced token accuracy of zsRE-style evaluation (reliability, generality,
 * locality as the share of unchanged top-1 predictions).
 */
package dev.hookline.engine.eval;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds the requests and the unedited model's top-1 predictions on their locality prompts
 * (computed once), then scores any edited model against them.
 */
public final class EditEvaluator {

    /**
     * @param maxParaphrases paraphrase prompts used per case
     * @param maxNeighbours neighbourhood prompts used per case, and as many unrelated prompts
     */
    public record Params(int maxParaphrases, int maxNeighbours) {
        public Params {
            if (maxParaphrases < 1 || maxNeighbours < 1) {
                throw new IllegalArgumentException("evaluation needs >= 1 paraphrase and neighbour prompt per case");
            }
        }

        public static Params defaults() {
            return new Params(5, 5);
        }
    }

    private record Pair(String prompt, String target) {}

    private final TextTokenizer tokenizer;
    private final Params params;
    private final Map<String, int[]> uneditedTop1 = new HashMap<>();

    /** Records the unedited model's top-1 predictions on the locality prompts of {@code requests}. */
    public EditEvaluator(CausalLm unedited, TextTokenizer tokenizer, List<EditRequest> requests, Params params) {
        this.tokenizer = tokenizer;
        this.params = params;
        List<Pair> pairs = new ArrayList<>();
        for (EditRequest r : requests) {
            pairs.addAll(localityPairs(r));
        }
        List<ContinuationScore> scores = score(unedited, ForwardOptions.defaults(), pairs);
        for (int i = 0; i < pairs.size(); i++) {
            uneditedTop1.put(key(pairs.get(i)), scores.get(i).predictedIds());
        }
    }

    private static String key(Pair p) {
        return p.prompt() + "\u0000" + p.target();
    }

    private List<Pair> localityPairs(EditRequest r) {
        List<Pair> out = new ArrayList<>();
        List<String> hood = r.neighborhoodPrompts();
        for (int i = 0; i < Math.min(hood.size(), params.maxNeighbours()); i++) {
            out.add(new Pair(hood.get(i), r.neighborhoodTarget()));
        }
        for (int i = 0; i < Math.min(r.localityPrompts().size(), params.maxNeighbours()); i++) {
            out.add(new Pair(r.localityPrompts().get(i), r.localityTargets().get(i)));
        }
        return out;
    }

    private List<ContinuationScore> score(CausalLm model, ForwardOptions options, List<Pair> pairs) {
        List<TextTokenizer.Continuation> cs = new ArrayList<>();
        for (Pair p : pairs) {
            cs.add(tokenizer.continuation(p.prompt(), p.target()));
        }
        return LanguageModel.wrap(model, tokenizer).scoreIds(cs, options);
    }

    private static double meanLogProb(ContinuationScore s) {
        return s.totalLogProb() / s.targetIds().length;
    }

    /** Scores {@code requests} (a subset of the constructor's) on {@code model} run with {@code options}. */
    public EditScores evaluate(CausalLm model, ForwardOptions options, List<EditRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no edits to evaluate");
        }
        // One flat list of pairs; remember each request's slices.
        List<Pair> pairs = new ArrayList<>();
        List<int[]> slices = new ArrayList<>(); // {rel, relTrue, paraStart, paraN, locStart, locN}
        for (EditRequest r : requests) {
            String filled = r.filledPrompt();
            boolean hasTrue = r.targetTrue() != null && !r.targetTrue().isBlank();
            int rel = pairs.size();
            pairs.add(new Pair(filled, r.targetNew()));
            int relTrue = -1;
            if (hasTrue) {
                relTrue = pairs.size();
                pairs.add(new Pair(filled, r.targetTrue()));
            }
            int paraStart = pairs.size();
            int paraN = Math.min(r.paraphrasePrompts().size(), params.maxParaphrases());
            for (int i = 0; i < paraN; i++) {
                pairs.add(new Pair(r.paraphrasePrompts().get(i), r.targetNew()));
                if (hasTrue) {
                    pairs.add(new Pair(r.paraphrasePrompts().get(i), r.targetTrue()));
                }
            }
            int locStart = pairs.size();
            List<Pair> loc = localityPairs(r);
            pairs.addAll(loc);
            int hoodN = Math.min(r.neighborhoodPrompts().size(), params.maxNeighbours());
            if (hasTrue) {
                for (int i = 0; i < hoodN; i++) {
                    pairs.add(new Pair(r.neighborhoodPrompts().get(i), r.targetNew()));
                }
            }
            slices.add(new int[] {rel, relTrue, paraStart, paraN, locStart, loc.size(), hoodN});
        }
        List<ContinuationScore> s = score(model, options, pairs);
        double rel = 0;
        double gen = 0;
        double loc = 0;
        double eff = 0;
        double para = 0;
        double hood = 0;
        int genN = 0;
        int locN = 0;
        int effN = 0;
        int paraN = 0;
        int hoodN = 0;
        for (int q = 0; q < requests.size(); q++) {
            int[] sl = slices.get(q);
            boolean hasTrue = sl[1] >= 0;
            rel += s.get(sl[0]).accuracy();
            if (hasTrue) {
                eff += meanLogProb(s.get(sl[0])) > meanLogProb(s.get(sl[1])) ? 1 : 0;
                effN++;
            }
            int stride = hasTrue ? 2 : 1;
            if (sl[3] > 0) {
                double g = 0;
                double pw = 0;
                for (int i = 0; i < sl[3]; i++) {
                    ContinuationScore pn = s.get(sl[2] + stride * i);
                    g += pn.accuracy();
                    if (hasTrue) {
                        pw += meanLogProb(pn) > meanLogProb(s.get(sl[2] + stride * i + 1)) ? 1 : 0;
                    }
                }
                gen += g / sl[3];
                genN++;
                if (hasTrue) {
                    para += pw / sl[3];
                    paraN++;
                }
            }
            if (sl[5] > 0) {
                int same = 0;
                int total = 0;
                for (int i = 0; i < sl[5]; i++) {
                    Pair p = localityPairsOf(requests.get(q)).get(i);
                    int[] before = uneditedTop1.get(key(p));
                    if (before == null) {
                        throw new IllegalArgumentException("edit " + requests.get(q).caseId()
                                + " was not given to the evaluator's constructor");
                    }
                    int[] after = s.get(sl[4] + i).predictedIds();
                    for (int t = 0; t < after.length; t++) {
                        same += after[t] == before[t] ? 1 : 0;
                        total++;
                    }
                }
                loc += (double) same / total;
                locN++;
            }
            if (hasTrue && sl[6] > 0) {
                double h = 0;
                int newStart = sl[4] + sl[5];
                for (int i = 0; i < sl[6]; i++) {
                    h += meanLogProb(s.get(sl[4] + i)) > meanLogProb(s.get(newStart + i)) ? 1 : 0;
                }
                hood += h / sl[6];
                hoodN++;
            }
        }
        int n = requests.size();
        return new EditScores(n, rel / n, ratio(gen, genN), ratio(loc, locN), ratio(eff, effN), ratio(para, paraN),
                ratio(hood, hoodN));
    }

    private List<Pair> localityPairsOf(EditRequest r) {
        return localityPairs(r);
    }

    private static double ratio(double sum, int n) {
        return n == 0 ? Double.NaN : sum / n;
    }
}
