/*
 * Maps the registry's wire forms onto the engine's inputs: fact edits (docs/API.md "Edit batch")
 * to dev.hookline.data.EditRequest, and a batch's method + hyperparameters JSON to the engine's
 * CoachHooK hyperparameter record (CoachHookParams.defaults(), the record tuned in
 * docs/BENCHMARKS.md, overridden key by key; the keys mirror the `hookline edit` options of
 * MethodOptions). Editing layers are model-relative: without a "layers" key a batch edits the
 * parent version's layers (a branch keeps its layers: the hook state exists only there), else the
 * model's last block (CoachHookParams.defaultLayers). Per method the starting record is the engine's:
 * coachhook defaults(), coachhook-corpus corpusTuned(), coachhook-plus plusTuned() (corpus scope, 3
 * boost rounds), coachhook-span spanTuned() (span scope, fixed threshold alpha0 0.99 on rho, scope lambda 15),
 * coachhook-nearest nearestTuned(); alphaedit-nearest takes nearestTuned()'s layers, value step and scope with
 * AlphaEdit's update (nullspaceThreshold, l2; no lambda); alphaedit-shards is alphaedit-nearest with a delta
 * per shard of at most shardEdits edits (default AlphaEditShardsParams.DEFAULT_SHARD_EDITS); codebook-nearest
 * and codebook-subject (its rows gated by their edits' subjects) take nearestTuned() at their own threshold
 * (CodebookNearestParams.DEFAULT_ALPHA0) on one layer, without lambda or valueHooks.
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.AlphaEditShardsParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CodebookNearestParams;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.world.RelationCatalogue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Conversions from registry JSON to engine records; every refusal is an {@link IllegalArgumentException}. */
public final class EditMapping {

    /** Methods this worker computes (the engine's hook methods; in-place baselines have no hook bundle). */
    public static final List<String> SUPPORTED_METHODS = List.of("coachhook", "coachhook-corpus", "coachhook-plus",
            "coachhook-span", "coachhook-span-relation", "coachhook-nearest", ClosedFormEditor.ALPHAEDIT_NEAREST,
            ClosedFormEditor.ALPHAEDIT_SHARDS, ClosedFormEditor.CODEBOOK_NEAREST, ClosedFormEditor.CODEBOOK_SUBJECT);

    /** The key-scope methods: fixed threshold on a score in [0, 1), a scope lambda of their own. */
    static boolean isSpan(String method) {
        return method.equals("coachhook-span") || method.equals("coachhook-span-relation")
                || method.equals("coachhook-nearest") || isAlphaEdit(method) || isCodebook(method);
    }

    /**
     * codebook-nearest and codebook-subject: each edit's residual as a codebook row under the nearest scope (for
     * codebook-subject gated by the edit's subject); no lambda, one layer, the same record.
     */
    static boolean isCodebook(String method) {
        return method.equals(ClosedFormEditor.CODEBOOK_NEAREST) || isCodebookSubject(method);
    }

    /** codebook-subject: codebook-nearest whose rows a position takes only after their edit's subject appeared. */
    static boolean isCodebookSubject(String method) {
        return method.equals(ClosedFormEditor.CODEBOOK_SUBJECT);
    }

    /** The methods without an update lambda (alphaedit-nearest, alphaedit-shards and the codebook methods). */
    static boolean hasNoLambda(String method) {
        return isAlphaEdit(method) || isCodebook(method);
    }

    /**
     * alphaedit-nearest and alphaedit-shards: AlphaEdit's update (no lambda; a null-space threshold and L2) in
     * nearest-scope hooks.
     */
    static boolean isAlphaEdit(String method) {
        return method.equals(ClosedFormEditor.ALPHAEDIT_NEAREST) || isShards(method);
    }

    /** alphaedit-shards: alphaedit-nearest with a delta per shard of edits. */
    static boolean isShards(String method) {
        return method.equals(ClosedFormEditor.ALPHAEDIT_SHARDS);
    }

    /** Hyperparameter keys a batch may set ({@code boostRounds}: coachhook-plus only). */
    public static final List<String> KEYS = List.of("layers", "lambda", "alpha0", "valueSteps", "learningRate",
            "clamp", "klFactor", "weightDecay", "contextVariants", "stopLoss", "editToken", "statsLines",
            "boostRounds", "scopeLambda", "valueHooks", "scopeKeys", "scopeRoutes", "nullspaceThreshold", "l2",
            "shardEdits");

    private EditMapping() {
    }

    /**
     * What this worker advertises to the registry when it starts ({@code POST /api/workers}):
     * per supported method, the hyperparameters {@link #plan} accepts for it and their JSON types,
     * so the registry refuses a batch this worker would fail (issue 25).
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode advertisement() {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var methods = json.createObjectNode();
        for (String m : SUPPORTED_METHODS) {
            var hp = methods.putObject(m).putObject("hyperparameters");
            for (String k : KEYS) {
                boolean applies = switch (k) {
                    case "boostRounds" -> m.equals("coachhook-plus");
                    case "scopeLambda" -> isSpan(m);
                    case "scopeKeys", "scopeRoutes" -> m.equals("coachhook-span-relation");
                    case "nullspaceThreshold", "l2" -> isAlphaEdit(m);
                    case "shardEdits" -> isShards(m);
                    case "lambda" -> !hasNoLambda(m);
                    case "valueHooks" -> !isCodebook(m);
                    default -> true;
                };
                if (applies) {
                    var spec = hp.putObject(k).put("type", switch (k) {
                        case "layers" -> "integer-array";
                        case "valueSteps", "contextVariants", "statsLines", "boostRounds", "scopeRoutes", "shardEdits" -> "integer";
                        case "editToken", "valueHooks", "scopeKeys" -> "string";
                        default -> "number";
                    });
                    if (k.equals("layers") && isCodebook(m)) {
                        spec.put("maxItems", 1); // the codebook methods edit exactly one layer (plan refuses more)
                    }
                }
            }
        }
        return methods;
    }

    /**
     * What the worker runs for a batch.
     *
     * @param method engine method name
     * @param params CoachHooK hyperparameters after the batch's overrides
     * @param statisticsLines corpus lines for C0 (0: the engine's default, LayerStatistics#defaultLines)
     * @param layersGiven whether the batch named its layers (else {@code params} carries the
     *     presets' default until {@link #forModel} resolves them)
     * @param lambdaGiven whether the batch named {@code lambda}
     * @param scopeLambdaGiven whether the batch named {@code scopeLambda}
     * @param alphaGiven whether the batch named {@code alpha0}
     * @param scopeKeysGiven whether the batch named {@code scopeKeys} (coachhook-span-relation)
     * @param scopeRoutesGiven whether the batch named {@code scopeRoutes} (coachhook-span-relation)
     * @param nullspaceThreshold alphaedit-nearest: the batch's null-space threshold, or null (the parent's, else
     *     AlphaEdit's default)
     * @param l2 alphaedit-nearest: the batch's L2, or null (the parent's, else AlphaEdit's default)
     * @param shardEdits alphaedit-shards: the batch's edits per shard, or null (the parent's, else the default)
     * @param modelLayers the model's default editing layers (its edit defaults), or null: a new branch's layers
     *     where the batch names none (a continued branch keeps its parent's)
     */
    public record Plan(String method, CoachHookParams params, int statisticsLines, boolean layersGiven,
            boolean lambdaGiven, boolean scopeLambdaGiven, boolean alphaGiven, boolean scopeKeysGiven,
            boolean scopeRoutesGiven, Double nullspaceThreshold, Double l2, Integer shardEdits, int[] modelLayers) {

        /** A plan without the model's default layers. */
        public Plan(String method, CoachHookParams params, int statisticsLines, boolean layersGiven,
                boolean lambdaGiven, boolean scopeLambdaGiven, boolean alphaGiven, boolean scopeKeysGiven,
                boolean scopeRoutesGiven, Double nullspaceThreshold, Double l2, Integer shardEdits) {
            this(method, params, statisticsLines, layersGiven, lambdaGiven, scopeLambdaGiven, alphaGiven,
                    scopeKeysGiven, scopeRoutesGiven, nullspaceThreshold, l2, shardEdits, null);
        }

        /** A plan without a shard size (every method but alphaedit-shards). */
        public Plan(String method, CoachHookParams params, int statisticsLines, boolean layersGiven,
                boolean lambdaGiven, boolean scopeLambdaGiven, boolean alphaGiven, boolean scopeKeysGiven,
                boolean scopeRoutesGiven, Double nullspaceThreshold, Double l2) {
            this(method, params, statisticsLines, layersGiven, lambdaGiven, scopeLambdaGiven, alphaGiven,
                    scopeKeysGiven, scopeRoutesGiven, nullspaceThreshold, l2, null);
        }

        /** A plan of a CoachHooK method (no AlphaEdit update). */
        public Plan(String method, CoachHookParams params, int statisticsLines, boolean layersGiven,
                boolean lambdaGiven, boolean scopeLambdaGiven, boolean alphaGiven, boolean scopeKeysGiven,
                boolean scopeRoutesGiven) {
            this(method, params, statisticsLines, layersGiven, lambdaGiven, scopeLambdaGiven, alphaGiven,
                    scopeKeysGiven, scopeRoutesGiven, null, null);
        }

        /** alphaedit-nearest's record: AlphaEdit's update on these layers and value step, the nearest scope's threshold. */
        public AlphaEditNearestParams alphaEditNearest() {
            AlphaEditParams d = AlphaEditParams.defaults();
            return new AlphaEditNearestParams(new AlphaEditParams(params.layers(), nullspaceThreshold != null
                    ? nullspaceThreshold : AlphaEditNearestParams.DEFAULT_THRESHOLD, l2 != null ? l2 : d.l2(),
                    params.valueStep()), params.alpha0(), params.scopeLambda());
        }

        /** alphaedit-shards' record: alphaedit-nearest's and the shard size. */
        public AlphaEditShardsParams alphaEditShards() {
            return new AlphaEditShardsParams(alphaEditNearest(),
                    shardEdits != null ? shardEdits : AlphaEditShardsParams.DEFAULT_SHARD_EDITS);
        }

        /** The hyperparameters a version records (its bundle's and the registry's): the method's record. */
        public Object hyperparameterRecord() {
            return isCodebook(method) ? codebookNearest() : isShards(method) ? alphaEditShards()
                    : isAlphaEdit(method) ? alphaEditNearest() : params;
        }

        /** codebook-nearest's record (codebook-subject's too): these layers (exactly one), threshold, lambda_s, value step. */
        public CodebookNearestParams codebookNearest() {
            return new CodebookNearestParams(params.layers(), params.alpha0(), params.scopeLambda(), params.valueStep());
        }

        /**
         * An alphaedit-nearest plan continuing an alphaedit-nearest parent takes the parent's null-space
         * threshold and L2 where the batch did not name them ({@code parentHyperparameters}: the parent
         * bundle's record), an alphaedit-shards plan also the parent's shard size; any other plan is
         * returned as it is.
         */
        public Plan withParentUpdate(String parentMethod, String parentHyperparameters) throws java.io.IOException {
            if (!isAlphaEdit(method) || !isAlphaEdit(parentMethod)) {
                return this;
            }
            JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(parentHyperparameters);
            // alphaedit-shards' record holds alphaedit-nearest's under "nearest".
            JsonNode update = (root.has("nearest") ? root.path("nearest") : root).path("update");
            Double t = nullspaceThreshold != null ? nullspaceThreshold
                    : update.path("nullspaceThreshold").isNumber() ? update.path("nullspaceThreshold").asDouble() : null;
            Double r = l2 != null ? l2 : update.path("l2").isNumber() ? update.path("l2").asDouble() : null;
            Integer shards = shardEdits != null ? shardEdits
                    : root.path("shardEdits").isInt() ? Integer.valueOf(root.path("shardEdits").asInt()) : null;
            return new Plan(method, params, statisticsLines, layersGiven, lambdaGiven, scopeLambdaGiven, alphaGiven,
                    scopeKeysGiven, scopeRoutesGiven, t, r, shards);
        }

        /**
         * A coachhook-span plan continuing a parent version takes the parent's {@code lambda},
         * {@code scopeLambda} and fixed threshold where the batch did not name them: its C_accu and
         * scope inverses were built with the lambdas (a span editor refuses a bundle of other
         * lambdas), the threshold is the branch's until a batch names another {@code alpha0}, and a
         * branch started under an older default record keeps working.
         *
         * @param parentAlpha the parent version's threshold (alpha of its first editing layer)
         */
        public Plan withParent(double parentLambda, double parentScopeLambda, double parentAlpha) {
            return withParent(parentLambda, parentScopeLambda, parentAlpha, null);
        }

        /**
         * {@link #withParent(double, double, double)}, and a coachhook-span-relation plan that did not
         * name {@code scopeKeys} takes the parent's ({@code parentScopeKeys}: the keys its relation spans
         * hold; null for a parent without relation spans), so a branch keeps one key set.
         */
        public Plan withParent(double parentLambda, double parentScopeLambda, double parentAlpha, String parentScopeKeys) {
            return withParent(parentLambda, parentScopeLambda, parentAlpha, parentScopeKeys, null);
        }

        /**
         * {@link #withParent(double, double, double, String)}, and a coachhook-span-relation plan that
         * did not name {@code scopeRoutes} takes the parent's ({@code parentRoutes}, null for a parent
         * without relation spans), so a branch keeps one scope test.
         */
        public Plan withParent(double parentLambda, double parentScopeLambda, double parentAlpha, String parentScopeKeys,
                Integer parentRoutes) {
            if (!isSpan(method)) {
                return this;
            }
            CoachHookParams p = params;
            if (!lambdaGiven && !hasNoLambda(method)) { // alphaedit-nearest and codebook bundles carry no lambda
                p = p.withLayersAndLambda(p.layers(), parentLambda);
            }
            if (!scopeLambdaGiven) {
                p = p.withScopeLambda(parentScopeLambda);
            }
            if (!alphaGiven) {
                p = p.withAlpha0(parentAlpha);
            }
            if (!scopeKeysGiven && parentScopeKeys != null && p.scope().equals("span-relation")) {
                p = p.withScopeKeys(parentScopeKeys);
            }
            if (!scopeRoutesGiven && parentRoutes != null && p.scope().equals("span-relation")) {
                p = p.withScopeRoutes(parentRoutes);
            }
            return new Plan(method, p, statisticsLines, layersGiven, lambdaGiven, scopeLambdaGiven, alphaGiven,
                    scopeKeysGiven, scopeRoutesGiven, nullspaceThreshold, l2, shardEdits);
        }

        /**
         * This plan with its layers resolved against the model and the parent version: layers the
         * batch did not name become the parent's ({@code parentLayers}) or, for the first version of a
         * branch, the model's last block; named layers must exist in the model and equal the parent's.
         *
         * @param blockCount transformer blocks of the base model
         * @param parentLayers editing layers of the parent version's bundle, or null
         */
        public Plan forModel(int blockCount, int[] parentLayers) {
            int[] layers;
            if (!layersGiven) {
                layers = parentLayers != null ? parentLayers.clone() : modelLayers != null
                        ? checkLayers(modelLayers, blockCount, "the model's default 'layers'")
                        : CoachHookParams.defaultLayers(blockCount);
            } else {
                layers = checkLayers(params.layers(), blockCount, "hyperparameter 'layers'");
                if (parentLayers != null && !Arrays.equals(layers, parentLayers)) {
                    throw new IllegalArgumentException("hyperparameter 'layers' " + Arrays.toString(layers)
                            + " differs from the parent version's editing layers " + Arrays.toString(parentLayers)
                            + ": a branch keeps its layers (its hook state exists only there); start a new branch "
                            + "for other layers");
                }
            }
            return new Plan(method, params.withLayersAndLambda(layers, params.lambda()), statisticsLines, true,
                    lambdaGiven, scopeLambdaGiven, alphaGiven, scopeKeysGiven, scopeRoutesGiven, nullspaceThreshold, l2,
                    shardEdits);
        }
    }

    /**
     * The editor of a plan: coachhook-span keeps its threshold fixed (no min rule, as in the
     * bench); the other methods run CoachHooK under their own method name (written into the bundle).
     */
    public static ClosedFormEditor editor(Plan plan, CausalLm model, TextTokenizer tokenizer, LayerStatistics stats) {
        if (isCodebookSubject(plan.method())) {
            return ClosedFormEditor.codebookSubject(model, tokenizer, stats, plan.codebookNearest(),
                    RelationCatalogue.CONTEXT_PREFIXES);
        }
        if (isCodebook(plan.method())) {
            return ClosedFormEditor.codebookNearest(model, tokenizer, stats, plan.codebookNearest(),
                    RelationCatalogue.CONTEXT_PREFIXES);
        }
        if (isShards(plan.method())) {
            return ClosedFormEditor.alphaEditShards(model, tokenizer, stats, plan.alphaEditShards(),
                    RelationCatalogue.CONTEXT_PREFIXES);
        }
        if (isAlphaEdit(plan.method())) {
            return ClosedFormEditor.alphaEditNearest(model, tokenizer, stats, plan.alphaEditNearest(),
                    RelationCatalogue.CONTEXT_PREFIXES);
        }
        return isSpan(plan.method())
                ? ClosedFormEditor.span(model, tokenizer, stats, plan.params(), RelationCatalogue.CONTEXT_PREFIXES,
                        plan.method(), false)
                : ClosedFormEditor.coachHook(model, tokenizer, stats, plan.params(), RelationCatalogue.CONTEXT_PREFIXES,
                        plan.method());
    }

    /** The bundle scope a method's versions carry ("sequence-z", "corpus-z", "span", "span-relation" or "nearest"). */
    public static String bundleScope(String method) {
        return switch (method) {
            case "coachhook-corpus", "coachhook-plus" -> "corpus-z";
            case "coachhook-span" -> "span";
            case "coachhook-span-relation" -> "span-relation";
            case "coachhook-nearest", "alphaedit-nearest", "alphaedit-shards", "codebook-nearest", "codebook-subject" ->
                    "nearest";
            default -> "sequence-z";
        };
    }

    /** {@code layers} if every one is a block of a model with {@code blockCount} blocks, else a clear refusal. */
    public static int[] checkLayers(int[] layers, int blockCount, String what) {
        for (int l : layers) {
            if (l < 0 || l >= blockCount) {
                throw new IllegalArgumentException(what + " " + Arrays.toString(layers) + ": layer " + l
                        + " does not exist in a model of " + blockCount + " blocks (valid 0.." + (blockCount - 1) + ")");
            }
        }
        return layers;
    }

    /** Edits of a batch view ({@code batch.edits[]}) as engine requests, in ordinal order. */
    public static List<EditRequest> requests(JsonNode batch) {
        List<EditRequest> out = new ArrayList<>();
        long batchId = batch.path("id").asLong();
        JsonNode edits = batch.path("edits");
        if (!edits.isArray() || edits.isEmpty()) {
            throw new IllegalArgumentException("batch " + batchId + " carries no edits");
        }
        int i = 0;
        for (JsonNode e : edits) {
            String caseId = "batch" + batchId + "." + e.path("ordinal").asInt(i);
            List<String> paraphrases = new ArrayList<>();
            e.path("paraphrases").forEach(p -> paraphrases.add(p.asText()));
            List<String> locPrompts = new ArrayList<>();
            List<String> locTargets = new ArrayList<>();
            for (JsonNode l : e.path("locality")) {
                locPrompts.add(l.path("prompt").asText());
                locTargets.add(l.path("expected").asText());
            }
            String targetTrue = e.hasNonNull("targetTrue") ? e.get("targetTrue").asText() : null;
            String relation = e.hasNonNull("relation") ? e.get("relation").asText() : null;
            out.add(new EditRequest(caseId, e.path("subject").asText(), e.path("prompt").asText(),
                    e.path("targetNew").asText(), targetTrue, paraphrases, List.of(), null, locPrompts, locTargets,
                    relation));
            i++;
        }
        return out;
    }

    /**
     * The plan of a batch: refuses methods other than {@link #SUPPORTED_METHODS} and unknown or
     * ill-typed hyperparameter keys, naming them. Starts from {@link CoachHookParams#defaults()};
     * unless the batch names its layers, resolve them with {@link Plan#forModel} before use.
     */
    /** The hyperparameters a model's edit defaults may set (the registry's ModelService.DEFAULT_KEYS). */
    public static final List<String> MODEL_DEFAULT_KEYS = List.of("layers", "lambda", "alpha0", "scopeLambda",
            "valueSteps", "learningRate", "clamp", "klFactor", "weightDecay", "contextVariants", "stopLoss");

    /**
     * The plan of a batch on a model with edit defaults ({@code modelDefaults}: the batch's {@code modelDefaults},
     * the model's defaults for its method when it was submitted; null, missing or {} for none). A default stands
     * in for the method's own default where the batch names nothing; it is not "named by the batch", so a
     * continued branch still takes its parent's layers, lambdas and threshold.
     */
    public static Plan plan(String method, JsonNode hyperparameters, JsonNode modelDefaults, int defaultStatisticsLines) {
        if (modelDefaults == null || modelDefaults.isMissingNode() || modelDefaults.isNull()
                || (modelDefaults.isObject() && modelDefaults.isEmpty())) {
            return plan(method, hyperparameters, defaultStatisticsLines);
        }
        if (!modelDefaults.isObject()) {
            throw new IllegalArgumentException("the batch's model defaults must be a JSON object, got " + modelDefaults);
        }
        modelDefaults.fieldNames().forEachRemaining(k -> {
            if (!MODEL_DEFAULT_KEYS.contains(k)) {
                throw new IllegalArgumentException("model default '" + k + "' is not one a model may set (one of "
                        + String.join(", ", MODEL_DEFAULT_KEYS) + ")");
            }
        });
        Plan named = plan(method, hyperparameters, defaultStatisticsLines); // the batch's own keys, checked alone
        com.fasterxml.jackson.databind.node.ObjectNode merged = modelDefaults.deepCopy();
        if (hyperparameters != null && hyperparameters.isObject()) {
            merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) hyperparameters);
        }
        Plan p;
        try {
            p = plan(method, merged, defaultStatisticsLines);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (with the model's edit defaults " + modelDefaults + ")", e);
        }
        int[] modelLayers = !named.layersGiven() && modelDefaults.has("layers") ? p.params().layers() : null;
        return new Plan(method, p.params(), p.statisticsLines(), named.layersGiven(), named.lambdaGiven(),
                named.scopeLambdaGiven(), named.alphaGiven(), named.scopeKeysGiven(), named.scopeRoutesGiven(),
                p.nullspaceThreshold(), p.l2(), p.shardEdits(), modelLayers);
    }

    public static Plan plan(String method, JsonNode hyperparameters, int defaultStatisticsLines) {
        if (!SUPPORTED_METHODS.contains(method)) {
            throw new IllegalArgumentException("method '" + method + "' is not supported by the editor worker "
                    + "(supported: " + String.join(", ", SUPPORTED_METHODS) + "; memit, ft, coachhook-nohook, alphaedit "
                    + "and ultraedit change weights in place and produce no hook bundle: use hookline edit, which "
                    + "writes the edited checkpoint)");
        }
        CoachHookParams d = switch (method) {
            case "coachhook-corpus" -> CoachHookParams.corpusTuned();
            case "coachhook-plus" -> CoachHookParams.plusTuned();
            case "coachhook-span" -> CoachHookParams.spanTuned();
            case "coachhook-span-relation" -> CoachHookParams.spanRelationTuned();
            case "coachhook-nearest", "alphaedit-nearest" -> CoachHookParams.nearestTuned();
            // alphaedit-shards: the same record at its own dev-chosen threshold.
            case "alphaedit-shards" -> CoachHookParams.nearestTuned().withAlpha0(AlphaEditShardsParams.DEFAULT_ALPHA0);
            // codebook-nearest: the same scope at its own dev-chosen threshold (its value step is the record's);
            // codebook-subject takes codebook-nearest's record.
            case "codebook-nearest", "codebook-subject" ->
                    CoachHookParams.nearestTuned().withAlpha0(CodebookNearestParams.DEFAULT_ALPHA0);
            default -> CoachHookParams.defaults();
        };
        ValueStepParams v = d.valueStep();
        int[] layers = d.layers();
        double lambda = d.lambda();
        double alpha0 = d.alpha0();
        int steps = v.steps();
        double lr = v.learningRate();
        double clamp = v.clampFactor();
        double kl = v.klFactor();
        double wd = v.weightDecay();
        int ctx = v.contextVariants();
        double stop = v.stopLoss();
        String editToken = v.editToken();
        int statsLines = defaultStatisticsLines;
        int boostRounds = d.boostRounds();
        Double scopeLambda = d.scopeDecoupled() ? d.scopeLambda() : null; // null: the update's lambda
        String valueHooks = d.valueHooks();
        String scopeKeys = d.scopeKeys();
        int scopeRoutes = d.scopeRoutes();
        boolean layersGiven = false;
        Double nullspaceThreshold = null;
        Double l2 = null;
        Integer shardEdits = null;
        if (hyperparameters != null && !hyperparameters.isNull()) {
            if (!hyperparameters.isObject()) {
                throw new IllegalArgumentException("hyperparameters must be a JSON object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = hyperparameters.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String k = f.getKey();
                JsonNode val = f.getValue();
                switch (k) {
                    case "layers" -> {
                        layers = intArray(k, val);
                        layersGiven = true;
                    }
                    case "lambda" -> {
                        if (isAlphaEdit(method)) {
                            throw new IllegalArgumentException("hyperparameter 'lambda' does not apply to " + method
                                    + " (AlphaEdit's update has none; its keys are nullspaceThreshold and l2)");
                        }
                        if (isCodebook(method)) {
                            throw new IllegalArgumentException("hyperparameter 'lambda' does not apply to " + method
                                    + " (it solves no update: each edit's residual is a codebook row)");
                        }
                        lambda = number(k, val);
                    }
                    case "nullspaceThreshold", "l2" -> {
                        if (!isAlphaEdit(method)) {
                            throw new IllegalArgumentException("hyperparameter '" + k + "' applies to "
                                    + ClosedFormEditor.ALPHAEDIT_NEAREST + " and " + ClosedFormEditor.ALPHAEDIT_SHARDS
                                    + " only, not " + method);
                        }
                        double x = number(k, val);
                        if (!(x > 0) || !Double.isFinite(x)) {
                            throw new IllegalArgumentException("hyperparameter '" + k + "' must be finite and > 0, got " + x);
                        }
                        if (k.equals("l2")) {
                            l2 = x;
                        } else {
                            nullspaceThreshold = x;
                        }
                    }
                    case "shardEdits" -> {
                        if (!isShards(method)) {
                            throw new IllegalArgumentException("hyperparameter 'shardEdits' applies to "
                                    + ClosedFormEditor.ALPHAEDIT_SHARDS + " only, not " + method);
                        }
                        shardEdits = integer(k, val);
                        if (shardEdits < 1) {
                            throw new IllegalArgumentException("hyperparameter 'shardEdits' must be >= 1, got " + shardEdits);
                        }
                    }
                    case "alpha0" -> alpha0 = number(k, val);
                    case "valueSteps" -> steps = integer(k, val);
                    case "learningRate" -> lr = number(k, val);
                    case "clamp" -> clamp = number(k, val);
                    case "klFactor" -> kl = number(k, val);
                    case "weightDecay" -> wd = number(k, val);
                    case "contextVariants" -> ctx = integer(k, val);
                    case "stopLoss" -> stop = number(k, val);
                    case "editToken" -> editToken = text(k, val);
                    case "statsLines" -> statsLines = integer(k, val);
                    case "boostRounds" -> {
                        if (!method.equals("coachhook-plus")) {
                            throw new IllegalArgumentException("hyperparameter 'boostRounds' applies to coachhook-plus only, "
                                    + "not " + method);
                        }
                        boostRounds = integer(k, val);
                    }
                    case "scopeLambda" -> {
                        if (!isSpan(method)) {
                            throw new IllegalArgumentException("hyperparameter 'scopeLambda' applies to coachhook-span, "
                                    + "coachhook-span-relation, coachhook-nearest, alphaedit-nearest, alphaedit-shards, "
                                    + "codebook-nearest and codebook-subject only, not "
                            + method);
                        }
                        scopeLambda = number(k, val);
                    }
                    case "valueHooks" -> {
                        if (isCodebook(method)) {
                            throw new IllegalArgumentException("hyperparameter 'valueHooks' does not apply to " + method
                                    + " (its value step sees the codebook as it serves)");
                        }
                        valueHooks = text(k, val);
                    }
                    case "scopeKeys" -> {
                        if (!method.equals("coachhook-span-relation")) {
                            throw new IllegalArgumentException("hyperparameter 'scopeKeys' applies to coachhook-span-relation "
                                    + "only, not " + method);
                        }
                        scopeKeys = text(k, val);
                    }
                    case "scopeRoutes" -> {
                        if (!method.equals("coachhook-span-relation")) {
                            throw new IllegalArgumentException("hyperparameter 'scopeRoutes' applies to "
                                    + "coachhook-span-relation only, not " + method);
                        }
                        scopeRoutes = integer(k, val);
                    }
                    default -> throw new IllegalArgumentException("unknown hyperparameter '" + k + "' (known: "
                            + String.join(", ", KEYS) + ")");
                }
            }
        }
        boolean statsLinesNamed = hyperparameters != null && hyperparameters.has("statsLines");
        if (statsLinesNamed ? statsLines < 1 : statsLines < 0) { // unnamed: the worker's default, 0 = the engine's
            throw new IllegalArgumentException("hyperparameter 'statsLines' must be >= 1, got " + statsLines);
        }
        try {
            ValueStepParams value = new ValueStepParams(steps, lr, clamp, kl, wd, ctx, stop, editToken);
            CoachHookParams params = new CoachHookParams(layers, lambda, alpha0, d.scope(), value, boostRounds,
                    scopeLambda != null ? scopeLambda : lambda, valueHooks, scopeKeys, scopeRoutes);
            if ((params.scope().startsWith("span") || params.scope().equals("nearest")) && !(alpha0 >= 0 && alpha0 < 1)) {
                throw new IllegalArgumentException(method + " thresholds rho in [0, 1): alpha0 must be in [0, 1), got "
                        + alpha0);
            }
            if (isCodebook(method) && layers.length != 1) {
                throw new IllegalArgumentException(method + " edits exactly one layer, got " + Arrays.toString(layers));
            }
            return new Plan(method, params, statsLines, layersGiven, hyperparameters != null && hyperparameters.has("lambda"),
                    hyperparameters != null && hyperparameters.has("scopeLambda"),
                    hyperparameters != null && hyperparameters.has("alpha0"),
                    hyperparameters != null && hyperparameters.has("scopeKeys"),
                    hyperparameters != null && hyperparameters.has("scopeRoutes"), nullspaceThreshold, l2, shardEdits);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid hyperparameters: " + e.getMessage(), e);
        }
    }

    private static double number(String key, JsonNode v) {
        if (!v.isNumber()) {
            throw new IllegalArgumentException("hyperparameter '" + key + "' must be a number, got " + v);
        }
        return v.asDouble();
    }

    private static int integer(String key, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("hyperparameter '" + key + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static String text(String key, JsonNode v) {
        if (!v.isTextual()) {
            throw new IllegalArgumentException("hyperparameter '" + key + "' must be a string, got " + v);
        }
        return v.asText();
    }

    private static int[] intArray(String key, JsonNode v) {
        if (!v.isArray() || v.isEmpty()) {
            throw new IllegalArgumentException("hyperparameter '" + key + "' must be a non-empty array of integers");
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(key + "[" + i + "]", v.get(i));
        }
        return out;
    }
}
