/*
 * Hyperparameter options shared by the edit and bench commands (picocli mixin); defaults are
 * the method records' defaults (docs/BENCHMARKS.md records how they were chosen).
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.world.RelationCatalogue;
import java.util.Arrays;
import picocli.CommandLine.Option;

/** Options that override the default hyperparameters of every method. */
public final class MethodOptions {
    @Option(names = "--layers", description = "editing layers, comma separated (default 0,1)")
    String layers;

    @Option(names = "--lambda", description = "covariance weight lambda (default 10)")
    Double lambda;

    @Option(names = "--memit-lambda", description = "lambda of MEMIT only (default: --lambda)")
    Double memitLambda;

    @Option(names = "--alpha0", description = "initial alpha (default 2.2)")
    Double alpha0;

    @Option(names = "--value-steps", description = "value-step Adam steps (default 60)")
    Integer valueSteps;

    @Option(names = "--clamp", description = "value-step norm clamp factor (default 4)")
    Double clamp;

    @Option(names = "--edit-token", description = "last (default, measured on the tiny model) or subject (ROME/MEMIT locus): where keys are read and values written")
    String editToken;

    @Option(names = "--stats-lines", description = "corpus lines for C0 (default 1000)")
    int statisticsLines = 1000;

    @Option(names = "--ft-bound", description = "FT L-infinity bound on W - W0 (default 5e-3)")
    Double ftBound;

    /** The hyperparameters after overrides. */
    Methods methods() {
        CoachHookParams ch = CoachHookParams.defaults();
        ValueStepParams v = ch.valueStep();
        v = new ValueStepParams(valueSteps != null ? valueSteps : v.steps(), v.learningRate(),
                clamp != null ? clamp : v.clampFactor(), v.klFactor(), v.weightDecay(), v.contextVariants(), v.stopLoss(),
                editToken != null ? editToken : v.editToken());
        int[] ls = layers != null ? parseLayers(layers) : ch.layers();
        double lam = lambda != null ? lambda : ch.lambda();
        double a0 = alpha0 != null ? alpha0 : ch.alpha0();
        CoachHookParams faithful = new CoachHookParams(ls, lam, a0, "sequence", v);
        CoachHookParams corpus = new CoachHookParams(ls, lam, a0, "corpus", v);
        MemitParams memit = new MemitParams(ls, memitLambda != null ? memitLambda : lam, v);
        FtParams fd = FtParams.defaults();
        FtParams ft = new FtParams(ls, fd.steps(), fd.learningRate(), ftBound != null ? ftBound : fd.normBound(),
                fd.contextVariants());
        return new Methods(faithful, corpus, memit, ft, RelationCatalogue.CONTEXT_PREFIXES);
    }

    static int[] parseLayers(String text) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--layers must be comma-separated integers, got '" + text + "'");
        }
    }
}
