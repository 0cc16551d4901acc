/*
 * Hyperparameter options shared by the edit and bench commands (picocli mixin); defaults are
 * the method records' defaults, i.e. the records tuned by the sweep in docs/BENCHMARKS.md.
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.AlphaEditShardsParams;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.CodebookNearestParams;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.UltraEditParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.world.RelationCatalogue;
import java.util.Arrays;
import picocli.CommandLine.Option;

/** Options that override the default hyperparameters of every method. */
public final class MethodOptions {
    @Option(names = "--layers", description = "editing layers of every method, comma separated (default: the model's last block for edit, layer 2 of the 3-block presets for bench)")
    String layers;

    @Option(names = "--lambda", description = "covariance weight lambda of every closed-form method (default 1500, tuned on the presets)")
    Double lambda;

    @Option(names = "--memit-lambda", description = "lambda of MEMIT only (default: --lambda)")
    Double memitLambda;

    @Option(names = "--alpha0", description = "initial alpha of the hook methods (default 2.2)")
    Double alpha0;

    @Option(names = "--span-alpha", description = "coachhook-span: fixed threshold on rho in [0, 1) (default "
            + CoachHookParams.SPAN_ALPHA0 + ")")
    Double spanAlpha;

    @Option(names = "--span-relation-alpha", description = "coachhook-span-relation: fixed threshold on rho in [0, 1) "
            + "(default " + CoachHookParams.SPAN_RELATION_ALPHA0 + "); --span-lambda, --span-scope-lambda and "
            + "--span-value-hooks apply to it too")
    Double spanRelationAlpha;

    @Option(names = "--nearest-alpha", description = "coachhook-nearest: fixed threshold on the nearest edited key's "
            + "score in [0, 1) (default " + CoachHookParams.NEAREST_ALPHA0 + "); it shares coachhook-span-relation's "
            + "lambda, lambda_s and value step; alphaedit-nearest serves under the same threshold and lambda_s, "
            + "alphaedit-shards too (its default " + AlphaEditShardsParams.DEFAULT_ALPHA0 + ", chosen on its own dev run), "
            + "and codebook-nearest and codebook-subject (default " + CodebookNearestParams.DEFAULT_ALPHA0 + ")")
    Double nearestAlpha;

    @Option(names = "--span-relation-keys", description = "coachhook-span-relation: keys each relation's span holds per"
            + " edit: mean+plain (default: the update's key and the plain prompt's key) or mean (the update's only)")
    String spanRelationKeys;

    @Option(names = "--span-relation-routes", description = "coachhook-span-relation: under how many nearest relations"
            + " a key is scored, 1 or 2 (default " + CoachHookParams.SPAN_RELATION_ROUTES + "; the larger rho counts)")
    Integer spanRelationRoutes;

    @Option(names = "--span-lambda", description = "coachhook-span: lambda (default --lambda, else "
            + CoachHookParams.SPAN_LAMBDA + ")")
    Double spanLambda;

    @Option(names = "--span-scope-lambda", description = "coachhook-span: lambda inside the scope score rho, apart from "
            + "the update's (default " + CoachHookParams.SPAN_SCOPE_LAMBDA + "; with the update's lambda an edited key "
            + "scores only about 0.5)")
    Double spanScopeLambda;

    @Option(names = "--span-value-hooks", description = "coachhook-span: how the value step sees the current hooks: "
            + "validated (as they serve, the paper's; default) or temporary (W_h at every position)")
    String spanValueHooks;

    @Option(names = "--value-steps", description = "value-step Adam steps (default 60)")
    Integer valueSteps;

    @Option(names = "--clamp", description = "value-step norm clamp factor (default 4)")
    Double clamp;

    @Option(names = "--value-stop", description = "value-step early stop: mean target NLL of every request below this (default 0.002)")
    Double valueStop;

    @Option(names = "--value-lr", description = "value-step Adam learning rate relative to ||h||/sqrt(d) (default 0.3)")
    Double valueLr;

    @Option(names = "--edit-token", description = "last (default, measured on the tiny model) or subject (ROME/MEMIT locus): where keys are read and values written")
    String editToken;

    @Option(names = "--stats-lines", description = "corpus lines for C0 (default 0: max(1000, ceil(5 d_ff / 2)) lines, enough for the whitening of wide MLPs)")
    int statisticsLines = dev.hookline.engine.edit.LayerStatistics.AUTO_LINES;

    @Option(names = "--ft-bound", description = "FT L-infinity bound on W - W0 (default 5e-3)")
    Double ftBound;

    @Option(names = "--ft-lr", description = "FT Adam learning rate")
    Double ftLearningRate;

    @Option(names = "--ft-steps", description = "FT Adam steps per batch")
    Integer ftSteps;

    @Option(names = "--alphaedit-threshold", description = "alphaedit and alphaedit-nearest: eigenvalues of C0 below this"
            + " span the null space (default " + AlphaEditParams.DEFAULT_THRESHOLD + " for alphaedit, the authors' GPT2-XL"
            + " value; " + AlphaEditNearestParams.DEFAULT_THRESHOLD + " for alphaedit-nearest, its dev choice)")
    Double alphaEditThreshold;

    @Option(names = "--alphaedit-l2", description = "alphaedit: ridge term L2 (default " + AlphaEditParams.DEFAULT_L2 + ")")
    Double alphaEditL2;

    @Option(names = "--shard-edits", description = "alphaedit-shards: the most edits one shard (one hook delta) holds"
            + " (default " + AlphaEditShardsParams.DEFAULT_SHARD_EDITS + ")")
    Integer shardEdits;

    @Option(names = "--ultraedit-lr", description = "ultraedit: step size of the pseudo-values (default "
            + UltraEditParams.DEFAULT_LEARNING_RATE + ")")
    Double ultraEditLearningRate;

    @Option(names = "--boost-rounds", description = "coachhook-plus: residual boost rounds before alpha is lowered (default 3)")
    Integer boostRounds;

    /**
     * The hyperparameters after overrides: each method's default record for the fact-world
     * presets (layer 2 of 3; {@link Methods#defaults}), then the options given.
     */
    Methods methods() {
        return resolve(null);
    }

    /**
     * The hyperparameters after overrides for a model of {@code blockCount} blocks: without
     * {@code --layers} every method edits {@code parentLayers} when continuing a parent bundle
     * (its hook state exists only there), else the model's last block
     * ({@link CoachHookParams#defaultLayers}); explicit layers must exist in the model.
     *
     * @param parentLayers layers of the parent bundle, or null
     */
    Methods methods(int blockCount, int[] parentLayers) {
        int[] last = parentLayers != null ? parentLayers.clone() : CoachHookParams.defaultLayers(blockCount);
        if (layers != null) {
            for (int l : parseLayers(layers)) {
                if (l < 0 || l >= blockCount) {
                    throw new IllegalArgumentException("--layers " + layers + ": layer " + l
                            + " does not exist in a model of " + blockCount + " blocks (valid 0.." + (blockCount - 1) + ")");
                }
            }
        }
        return resolve(last);
    }

    /** @param defaultLayers layers used where {@code --layers} is absent (null: each record's own) */
    private Methods resolve(int[] defaultLayers) {
        Methods d = Methods.defaults(RelationCatalogue.CONTEXT_PREFIXES);
        if (nearestAlpha != null && !(nearestAlpha >= 0 && nearestAlpha < 1)) {
            throw new IllegalArgumentException("--nearest-alpha must be in [0, 1), got " + nearestAlpha);
        }
        CoachHookParams plus = override(d.coachHookPlus(), defaultLayers);
        if (boostRounds != null) {
            plus = new CoachHookParams(plus.layers(), plus.lambda(), plus.alpha0(), plus.scope(), plus.valueStep(),
                    boostRounds);
        }
        MemitParams m = d.memit();
        MemitParams memit = new MemitParams(layers(m.layers(), defaultLayers),
                memitLambda != null ? memitLambda : lambda != null ? lambda : m.lambda(), valueStep(m.valueStep()));
        FtParams fd = d.ft();
        FtParams ft = new FtParams(layers(fd.layers(), defaultLayers), ftSteps != null ? ftSteps : fd.steps(),
                ftLearningRate != null ? ftLearningRate : fd.learningRate(), ftBound != null ? ftBound : fd.normBound(),
                fd.contextVariants());
        CoachHookParams sd = d.coachHookSpan();
        CoachHookParams span = new CoachHookParams(layers(sd.layers(), defaultLayers),
                spanLambda != null ? spanLambda : lambda != null ? lambda : sd.lambda(),
                spanAlpha != null ? spanAlpha : sd.alpha0(), sd.scope(), valueStep(sd.valueStep()), sd.boostRounds());
        if (spanScopeLambda != null) {
            span = span.withScopeLambda(spanScopeLambda);
        } else if (sd.scopeDecoupled()) {
            span = span.withScopeLambda(sd.scopeLambda());
        }
        span = span.withValueHooks(spanValueHooks != null ? spanValueHooks : sd.valueHooks());
        // The per-relation span shares every span option but its threshold and its key set.
        CoachHookParams relation = new CoachHookParams(span.layers(), span.lambda(),
                spanRelationAlpha != null ? spanRelationAlpha : d.coachHookSpanRelation().alpha0(), "span-relation",
                span.valueStep(), span.boostRounds(), span.scopeLambda(), span.valueHooks(),
                spanRelationKeys != null ? spanRelationKeys : d.coachHookSpanRelation().scopeKeys(),
                spanRelationRoutes != null ? spanRelationRoutes : d.coachHookSpanRelation().scopeRoutes());
        AlphaEditParams ad = d.alphaEdit();
        AlphaEditParams alpha = new AlphaEditParams(layers(ad.layers(), defaultLayers),
                alphaEditThreshold != null ? alphaEditThreshold : ad.nullspaceThreshold(),
                alphaEditL2 != null ? alphaEditL2 : ad.l2(), valueStep(ad.valueStep()));
        UltraEditParams ud = d.ultraEdit();
        UltraEditParams ultra = new UltraEditParams(layers(ud.layers(), defaultLayers),
                ultraEditLearningRate != null ? ultraEditLearningRate : ud.learningRate(), ud.ridge());
        CoachHookParams nearest = Methods.nearestOf(relation,
                nearestAlpha != null ? nearestAlpha : d.coachHookNearest().alpha0());
        // alphaedit-nearest: AlphaEdit's options with its own default threshold, the nearest scope's threshold.
        AlphaEditNearestParams alphaNearest = AlphaEditNearestParams.of(new AlphaEditParams(alpha.layers(),
                alphaEditThreshold != null ? alphaEditThreshold : AlphaEditNearestParams.DEFAULT_THRESHOLD, alpha.l2(),
                alpha.valueStep()), nearest);
        if (shardEdits != null && shardEdits < 1) {
            throw new IllegalArgumentException("--shard-edits must be at least 1, got " + shardEdits);
        }
        AlphaEditShardsParams shards = new AlphaEditShardsParams(
                alphaNearest.withAlpha0(nearestAlpha != null ? nearestAlpha : AlphaEditShardsParams.DEFAULT_ALPHA0),
                shardEdits != null ? shardEdits : AlphaEditShardsParams.DEFAULT_SHARD_EDITS);
        CodebookNearestParams codebook = CodebookNearestParams.of(shards,
                nearestAlpha != null ? nearestAlpha : CodebookNearestParams.DEFAULT_ALPHA0);
        return new Methods(override(d.coachHook(), defaultLayers), override(d.coachHookCorpus(), defaultLayers), memit,
                ft, d.contextPrefixes(), plus, override(d.noHook(), defaultLayers), span, relation, alpha, ultra,
                nearest, alphaNearest, shards, codebook);
    }

    private int[] layers(int[] recordLayers, int[] defaultLayers) {
        return layers != null ? parseLayers(layers) : defaultLayers != null ? defaultLayers : recordLayers;
    }

    private CoachHookParams override(CoachHookParams p, int[] defaultLayers) {
        return new CoachHookParams(layers(p.layers(), defaultLayers), lambda != null ? lambda : p.lambda(),
                alpha0 != null ? alpha0 : p.alpha0(), p.scope(), valueStep(p.valueStep()), p.boostRounds());
    }

    private ValueStepParams valueStep(ValueStepParams v) {
        return new ValueStepParams(valueSteps != null ? valueSteps : v.steps(), valueLr != null ? valueLr : v.learningRate(),
                clamp != null ? clamp : v.clampFactor(), v.klFactor(), v.weightDecay(), v.contextVariants(),
                valueStop != null ? valueStop : v.stopLoss(), editToken != null ? editToken : v.editToken());
    }

    static int[] parseLayers(String text) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--layers must be comma-separated integers, got '" + text + "'");
        }
    }
}
