/*
 * `hookline edit`: applies edits consecutively with CoachHooK, starting from an optional parent
 * bundle, and writes the new hook bundle. Hyperparameters: the default record (CoachHookParams.defaults:
 * the model's last block, lambda 1500, tuned value step; docs/BENCHMARKS.md) and MethodOptions overrides.
 */
package dev.hookline.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.AlphaEditShardsParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CodebookNearestParams;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code edit --model DIR [--bundle DIR] --data FILE --batch B --out DIR}. */
@Command(name = "edit", mixinStandardHelpOptions = true,
        description = "Apply edits consecutively with CoachHooK and write the resulting hook bundle; the in-place"
                + " methods (memit, coachhook-nohook, alphaedit, ultraedit, ft) write the edited checkpoint instead.")
public final class EditCommand implements Callable<Integer> {
    /** Methods that write a hook bundle. */
    static final List<String> METHODS = List.of("coachhook", "coachhook-corpus", "coachhook-plus", "coachhook-span",
            "coachhook-span-relation", "coachhook-nearest", ClosedFormEditor.ALPHAEDIT_NEAREST,
            ClosedFormEditor.ALPHAEDIT_SHARDS, ClosedFormEditor.CODEBOOK_NEAREST, ClosedFormEditor.CODEBOOK_SUBJECT);
    /** Methods that change the weights in place and write an edited checkpoint to {@code --out}. */
    static final List<String> IN_PLACE_METHODS = List.of("memit", "coachhook-nohook", "alphaedit", "ultraedit", "ft");

    @Option(names = "--model", required = true, description = "base checkpoint directory")
    Path model;

    @Option(names = "--bundle", description = "parent hook bundle to continue from")
    Path parent;

    @Option(names = "--data", required = true, description = "counterfact.json or zsre.json")
    Path data;

    @Option(names = "--corpus", description = "corpus for key statistics C0: plain text or JSON lines with \"text\""
            + " (default: corpus.txt next to --data); sample size --stats-lines")
    Path corpus;

    @Option(names = "--edits", description = "use the first N cases (default: all)")
    Integer edits;

    @Option(names = "--batch", required = true, description = "edits per batch")
    int batch;

    @Option(names = "--method", defaultValue = "coachhook",
            description = "coachhook, coachhook-corpus, coachhook-plus, coachhook-span (fixed threshold --span-alpha on rho)"
                    + ", coachhook-span-relation (a span per relation, the edits' relation labels; --span-relation-alpha)"
                    + ", coachhook-nearest (the nearest edited key, no labels; --nearest-alpha)"
                    + " or alphaedit-nearest (AlphaEdit's update in hooks under the same scope; --alphaedit-threshold,"
                    + " --alphaedit-l2, --nearest-alpha) or alphaedit-shards (the same with a hook delta per shard of"
                    + " --shard-edits edits) or codebook-nearest (each edit's residual served where the same scope admits"
                    + " a position; --nearest-alpha) or codebook-subject (codebook-nearest where a position takes an"
                    + " edit's row only after the edit's subject appeared in the text; --nearest-alpha)")
    String method;

    @Option(names = "--out", required = true, description = "directory of the new bundle (must not exist)")
    Path out;

    /** Accepted for scripts written when the tuned record was opt-in; it is the default now. */
    @Option(names = "--tuned", hidden = true, description = "no-op: the tuned record is the default")
    boolean tuned;

    @Mixin
    MethodOptions options;

    @Override
    public Integer call() throws Exception {
        if (!METHODS.contains(method) && !IN_PLACE_METHODS.contains(method)) {
            throw new IllegalArgumentException("--method must be one of " + String.join(", ", METHODS) + ", "
                    + String.join(", ", IN_PLACE_METHODS) + ", got " + method);
        }
        if (IN_PLACE_METHODS.contains(method) && parent != null) {
            throw new IllegalArgumentException("--bundle continues a hook bundle; " + method
                    + " edits weights in place: pass the edited checkpoint as --model instead");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("model directory not found: " + model);
        }
        if (Files.exists(out)) {
            throw new IllegalArgumentException("output " + out + " already exists; bundles are immutable");
        }
        HookBundle parentBundle = parent != null ? HookBundle.read(parent) : null;
        List<EditRequest> requests = edits != null ? EditData.requests(data, edits) : EditData.all(data);
        List<String> lines = EditData.corpus(corpus, data, model);
        if (IN_PLACE_METHODS.contains(method)) {
            return editInPlace(requests, lines);
        }
        try (LanguageModel lm = LanguageModel.load(model)) {
            // Default record (docs/BENCHMARKS.md) with its editing layer resolved against this model (the last
            // block), or the parent's layers when continuing a bundle and --layers is not given.
            Methods methods = options.methods(lm.model().config().layerCount(),
                    parentBundle != null ? parentBundle.layers() : null);
            if (codebook(method) || (parentBundle != null && codebook(parentBundle.method()))) {
                return editCodebook(lm, methods, parentBundle, requests, lines);
            }
            // alphaedit-nearest: coachhook-nearest's record carries its layers, value step and scope; AlphaEdit's its update.
            boolean shards = method.equals(ClosedFormEditor.ALPHAEDIT_SHARDS);
            boolean alphaNearest = method.equals(ClosedFormEditor.ALPHAEDIT_NEAREST) || shards;
            boolean parentAlpha = parentBundle != null && (parentBundle.method().equals(ClosedFormEditor.ALPHAEDIT_NEAREST)
                    || parentBundle.method().equals(ClosedFormEditor.ALPHAEDIT_SHARDS));
            if (parentBundle != null && (parentAlpha != alphaNearest
                    || (parentAlpha && !parentBundle.method().equals(method)))) {
                throw new IllegalArgumentException("parent bundle was made by " + parentBundle.method() + "; " + method
                        + " cannot continue it (C_accu against AlphaEdit's K_p K_p^T, or one delta against a delta per"
                        + " shard): use --method " + (parentAlpha ? parentBundle.method() : "a coachhook method"));
            }
            var params = (CoachHookParams) methods.params(alphaNearest ? "coachhook-nearest" : method);
            if (shards) { // alphaedit-shards' own default threshold, or --nearest-alpha
                params = params.withAlpha0(methods.alphaEditShards().nearest().alpha0());
            }
            if (parentBundle != null && !alphaNearest && options.lambda == null && options.spanLambda == null
                    && params.lambda() != parentBundle.lambda()) {
                // Continuing a bundle: its C_accu (and a span scope's (lambda C0)^-1) were built with its lambda.
                params = params.withLayersAndLambda(params.layers(), parentBundle.lambda());
            }
            boolean span = method.equals("coachhook-span") || method.equals("coachhook-span-relation")
                    || method.equals("coachhook-nearest") || alphaNearest;
            if (parentBundle != null && span && options.spanScopeLambda == null) {
                // ... and its span scope's inverses with its scope lambda.
                params = params.withScopeLambda(parentBundle.scopeLambda());
            }
            if (parentBundle != null && parentBundle.relationScopes() != null && method.equals("coachhook-span-relation")
                    && options.spanRelationKeys == null) {
                // ... and the keys its relation spans hold (bundles from before mean+plain hold the mean keys).
                params = params.withScopeKeys(parentBundle.relationScopes().scopeKeys());
            }
            if (parentBundle != null && parentBundle.relationScopes() != null
                    && method.equals("coachhook-span-relation") && options.spanRelationRoutes == null) {
                // ... and how many relations score a key (bundles from before relationRoutes: 1).
                params = params.withScopeRoutes(parentBundle.relationScopes().routes());
            }
            Double alphaGiven = method.equals("coachhook-span") ? options.spanAlpha
                    : method.equals("coachhook-nearest") || alphaNearest ? options.nearestAlpha : options.spanRelationAlpha;
            if (parentBundle != null && span && alphaGiven == null) {
                // ... and its fixed threshold; --span-alpha (--span-relation-alpha) sets a new one for the
                // continued version.
                params = params.withAlpha0(parentBundle.alpha().get(params.layers()[0]));
            }
            String baseDigest = lm.modelDigest();
            if (parentBundle != null && !parentBundle.baseModelDigest().equals(baseDigest)) {
                throw new IllegalArgumentException("parent bundle was made for another base model");
            }
            Path cache = model.resolve("hookline-stats");
            // A user's --corpus (plain text or JSON lines) keys the cache by its digest too.
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), lines,
                    options.statisticsLines, params.layers(), cache, corpus != null, System.err);
            AlphaEditNearestParams alphaParams = alphaNearest ? alphaNearestParams(methods, params, parentBundle) : null;
            AlphaEditShardsParams shardParams = shards ? shardParams(alphaParams, methods, parentBundle) : null;
            // The span methods keep their threshold fixed (no min rule), as in the bench (Methods.create).
            try (ClosedFormEditor editor = shards
                    ? ClosedFormEditor.alphaEditShards(lm.model(), lm.tokenizer(), stats, shardParams,
                            methods.contextPrefixes())
                    : alphaNearest
                    ? ClosedFormEditor.alphaEditNearest(lm.model(), lm.tokenizer(), stats, alphaParams,
                            methods.contextPrefixes())
                    : span
                    ? ClosedFormEditor.span(lm.model(), lm.tokenizer(), stats, params, methods.contextPrefixes(), method, false)
                    : ClosedFormEditor.coachHook(lm.model(), lm.tokenizer(), stats, params, methods.contextPrefixes(),
                            method)) {
                if (parentBundle != null) {
                    editor.restore(parentBundle);
                }
                for (int from = 0; from < requests.size(); from += batch) {
                    SequentialEditor.BatchOutcome o = editor.apply(requests.subList(from, Math.min(requests.size(), from + batch)));
                    System.err.printf(Locale.ROOT, "\rbatch %d/%d  %.1f s  alpha %s", from / batch + 1,
                            (requests.size() + batch - 1) / batch, o.seconds(), o.alphaAfter());
                }
                System.err.println();
                String hyper = new ObjectMapper().writeValueAsString(shards ? shardParams : alphaNearest ? alphaParams : params);
                HookBundle bundle = editor.snapshot(baseDigest, parent != null ? HookBundle.digest(parent) : null, hyper);
                String digest = bundle.write(out);
                System.out.println("bundle " + out + " sha256 " + digest + ": " + bundle.edits() + " edits, alpha "
                        + bundle.alpha());
            }
        }
        return 0;
    }

    /** codebook-nearest and codebook-subject (the same record, the latter with the subject gate). */
    private static boolean codebook(String method) {
        return method.equals(ClosedFormEditor.CODEBOOK_NEAREST) || method.equals(ClosedFormEditor.CODEBOOK_SUBJECT);
    }

    /**
     * codebook-nearest and codebook-subject: its record (one layer, the threshold, lambda_s, the value step); continuing a parent
     * codebook-nearest bundle keeps the parent's threshold unless --nearest-alpha names another, and its lambda_s
     * (its keys were whitened with it).
     */
    private int editCodebook(LanguageModel lm, Methods methods, HookBundle parentBundle, List<EditRequest> requests,
            List<String> lines) throws Exception {
        if (parentBundle != null && !(codebook(method) && parentBundle.method().equals(method))) {
            throw new IllegalArgumentException("parent bundle was made by " + parentBundle.method() + "; " + method
                    + " cannot continue it (a codebook of residuals against linear hook deltas): use --method "
                    + parentBundle.method());
        }
        CodebookNearestParams params = methods.codebookNearest();
        if (parentBundle != null) {
            params = new CodebookNearestParams(parentBundle.layers(),
                    options.nearestAlpha != null ? options.nearestAlpha : parentBundle.alpha().get(parentBundle.layers()[0]),
                    parentBundle.scopeLambda(), params.valueStep());
        }
        String baseDigest = lm.modelDigest();
        if (parentBundle != null && !parentBundle.baseModelDigest().equals(baseDigest)) {
            throw new IllegalArgumentException("parent bundle was made for another base model");
        }
        LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), lines, options.statisticsLines,
                params.layers(), model.resolve("hookline-stats"), corpus != null, System.err);
        try (ClosedFormEditor editor = method.equals(ClosedFormEditor.CODEBOOK_SUBJECT)
                ? ClosedFormEditor.codebookSubject(lm.model(), lm.tokenizer(), stats, params, methods.contextPrefixes())
                : ClosedFormEditor.codebookNearest(lm.model(), lm.tokenizer(), stats, params, methods.contextPrefixes())) {
            if (parentBundle != null) {
                editor.restore(parentBundle);
            }
            for (int from = 0; from < requests.size(); from += batch) {
                SequentialEditor.BatchOutcome o = editor.apply(requests.subList(from, Math.min(requests.size(), from + batch)));
                System.err.printf(Locale.ROOT, "\rbatch %d/%d  %.1f s", from / batch + 1, (requests.size() + batch - 1) / batch,
                        o.seconds());
            }
            System.err.println();
            HookBundle bundle = editor.snapshot(baseDigest, parent != null ? HookBundle.digest(parent) : null,
                    new ObjectMapper().writeValueAsString(params));
            String digest = bundle.write(out);
            System.out.println("bundle " + out + " sha256 " + digest + ": " + bundle.edits() + " edits, alpha " + bundle.alpha());
        }
        return 0;
    }

    /**
     * alphaedit-shards' record: {@code nearest} with --shard-edits, else a parent alphaedit-shards bundle's shard
     * size, else the default.
     */
    private AlphaEditShardsParams shardParams(AlphaEditNearestParams nearest, Methods methods, HookBundle parentBundle)
            throws java.io.IOException {
        int size = methods.alphaEditShards().shardEdits();
        if (parentBundle != null && options.shardEdits == null) {
            var root = new ObjectMapper().readTree(parentBundle.hyperparameters());
            if (root.path("shardEdits").isInt()) {
                size = root.path("shardEdits").asInt();
            }
        }
        return new AlphaEditShardsParams(nearest, size);
    }

    /**
     * alphaedit-nearest's record: AlphaEdit's update on {@code nearest}'s layers and value step, with its
     * threshold and lambda_s. Continuing a parent alphaedit-nearest bundle keeps the parent's null-space
     * threshold and L2 unless --alphaedit-threshold / --alphaedit-l2 name others.
     */
    private AlphaEditNearestParams alphaNearestParams(Methods methods, CoachHookParams nearest, HookBundle parentBundle)
            throws java.io.IOException {
        AlphaEditParams a = methods.alphaEditNearest().update(); // its default threshold, or --alphaedit-threshold
        double threshold = a.nullspaceThreshold();
        double l2 = a.l2();
        if (parentBundle != null) { // an alphaedit-nearest or alphaedit-shards parent (checked by the caller)
            var root = new ObjectMapper().readTree(parentBundle.hyperparameters());
            var update = (root.has("nearest") ? root.path("nearest") : root).path("update");
            if (options.alphaEditThreshold == null && update.path("nullspaceThreshold").isNumber()) {
                threshold = update.path("nullspaceThreshold").asDouble();
            }
            if (options.alphaEditL2 == null && update.path("l2").isNumber()) {
                l2 = update.path("l2").asDouble();
            }
        }
        return new AlphaEditNearestParams(new AlphaEditParams(nearest.layers(), threshold, l2, nearest.valueStep()),
                nearest.alpha0(), nearest.scopeLambda());
    }

    /** An in-place method: edits a copy of the model batch after batch and saves it as a checkpoint. */
    private int editInPlace(List<EditRequest> requests, List<String> lines) throws Exception {
        try (LanguageModel lm = LanguageModel.load(model)) {
            Methods methods = options.methods(lm.model().config().layerCount(), null);
            int[] layers = methods.statisticsLayers(List.of(method));
            LayerStatistics stats = layers.length == 0 ? null : LayerStatistics.loadOrCompute(lm.model(),
                    lm.tokenizer(), lines, options.statisticsLines, layers, model.resolve("hookline-stats"));
            try (SequentialEditor editor = methods.create(method, lm.model(), lm.tokenizer(), stats)) {
                for (int from = 0; from < requests.size(); from += batch) {
                    SequentialEditor.BatchOutcome o = editor.apply(requests.subList(from,
                            Math.min(requests.size(), from + batch)));
                    System.err.printf(Locale.ROOT, "\rbatch %d/%d  %.1f s", from / batch + 1,
                            (requests.size() + batch - 1) / batch, o.seconds());
                }
                System.err.println();
                Checkpoint.save(editor.model(), model.resolve(Checkpoint.TOKENIZER_FILE), out);
                System.out.println("checkpoint " + out + ": " + method + ", " + editor.editCount() + " edits");
            }
        }
        return 0;
    }
}
