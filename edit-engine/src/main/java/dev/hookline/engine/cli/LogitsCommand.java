/*
 * `hookline logits`: the token ids of a prompt and the top-K next-token logits at every position,
 * the debugging view people compare against transformers' output.
 */
package dev.hookline.engine.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.TokenBatch;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Prints, for a prompt, its token ids and at each position the K largest logits (float32, the
 * model's own forward on the unpadded prompt). With {@code --json} exactly
 * {@code {"ids": [...], "positions": [{"top": [{"id": 464, "logit": 3.25}, ...]}, ...]}}.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Token ids and the top-K next-token logits at every position of a prompt.")
public final class LogitsCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "checkpoint directory (any supported architecture)")
    Path model;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--top", defaultValue = "5", description = "logits per position (default 5)")
    int top;

    @Option(names = "--json", description = "print JSON: {\"ids\": [...], \"positions\": [{\"top\": [...]}, ...]}")
    boolean json;

    /** One position's K best tokens, best first. */
    record Top(int[] ids, float[] logits) {}

    @Override
    public Integer call() throws Exception {
        if (top < 1) {
            throw new ParameterException(spec.commandLine(), "--top must be >= 1, got " + top);
        }
        if (prompt.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prompt must not be empty");
        }
        HooklineCli.requireCheckpoint(spec.commandLine(), model);
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = LanguageModel.load(model)) {
            int[] ids = lm.tokenizer().encode(prompt);
            if (ids.length == 0) {
                throw new ParameterException(spec.commandLine(), "--prompt encodes to no tokens");
            }
            int k = Math.min(top, lm.model().config().vocabSize());
            Top[] tops = new Top[ids.length];
            try (NDManager scope = NDManager.newBaseManager(lm.model().device())) {
                NDArray logits = lm.model().forward(scope, TokenBatch.single(ids, lm.model().config().eosTokenId()))
                        .logits(); // (1, T, V)
                for (int t = 0; t < ids.length; t++) {
                    tops[t] = topK(logits.get(0, t).toFloatArray(), k);
                }
            }
            out.print(json ? toJson(ids, tops) : toText(lm, ids, tops));
            out.flush();
        }
        return 0;
    }

    static Top topK(float[] row, int k) {
        Integer[] order = new Integer[row.length];
        for (int i = 0; i < row.length; i++) {
            order[i] = i;
        }
        // Stable sort: equal logits keep the lower id first.
        java.util.Arrays.sort(order, (a, b) -> Float.compare(row[b], row[a]));
        int[] ids = new int[k];
        float[] values = new float[k];
        for (int i = 0; i < k; i++) {
            ids[i] = order[i];
            values[i] = row[order[i]];
            if (!Float.isFinite(values[i])) {
                throw new IllegalStateException("non-finite logit " + values[i] + " for token " + ids[i]);
            }
        }
        return new Top(ids, values);
    }

    static String toJson(int[] ids, Top[] tops) {
        StringBuilder s = new StringBuilder("{\"ids\": [");
        for (int i = 0; i < ids.length; i++) {
            s.append(i == 0 ? "" : ", ").append(ids[i]);
        }
        s.append("], \"positions\": [");
        for (int t = 0; t < tops.length; t++) {
            s.append(t == 0 ? "" : ", ").append("{\"top\": [");
            for (int j = 0; j < tops[t].ids().length; j++) {
                s.append(j == 0 ? "" : ", ").append("{\"id\": ").append(tops[t].ids()[j])
                        .append(", \"logit\": ").append(Float.toString(tops[t].logits()[j])).append('}');
            }
            s.append("]}");
        }
        return s.append("]}\n").toString();
    }

    private static String toText(LanguageModel lm, int[] ids, Top[] tops) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s, %d layers, %d tokens%n", lm.model().architecture().modelType(),
                lm.model().config().layerCount(), ids.length));
        for (int t = 0; t < ids.length; t++) {
            s.append(String.format(Locale.ROOT, "%4d %7d %-16s ->", t, ids[t],
                    quote(lm.tokenizer().decode(new int[] {ids[t]}))));
            for (int j = 0; j < tops[t].ids().length; j++) {
                s.append(String.format(Locale.ROOT, " %d %s %.4f", tops[t].ids()[j],
                        quote(lm.tokenizer().decode(new int[] {tops[t].ids()[j]})), tops[t].logits()[j]));
            }
            s.append('\n');
        }
        return s.toString();
    }

    private static String quote(String token) {
        return "'" + token.replace("\n", "\\n") + "'";
    }
}
