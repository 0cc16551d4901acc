/*
 * The editing methods a bench or an edit run can use, by name, with their hyperparameter records.
 */
package dev.hookline.engine.bench;

import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.AlphaEditShardsParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.CodebookNearestParams;
import dev.hookline.engine.edit.FtEditor;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.edit.UltraEditParams;
import dev.hookline.engine.edit.UltraEditor;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.CausalLm;
import java.util.List;
import java.util.TreeSet;

/**
 * Hyperparameters of every method in one run.
 *
 * @param coachHook CoachHooK (faithful: the paper's per-sequence z-score and min alpha rule)
 * @param coachHookCorpus CoachHooK with the corpus-calibrated scope test
 * @param memit MEMIT-sequential
 * @param ft constrained fine-tuning
 * @param contextPrefixes context prefixes of the value step and key averaging
 * @param coachHookPlus CoachHooK with this project's improvements ({@link CoachHookParams#plusTuned()})
 * @param noHook the no-hook ablation (CoachHooK's algebra in place; scope and alpha0 unused)
 * @param coachHookSpan CoachHooK with the span scope test and a fixed threshold alpha0 on rho
 *     ({@link dev.hookline.engine.hook.SpanScope}; {@link CoachHookParams#spanTuned()})
 * @param coachHookSpanRelation CoachHooK with one span per relation, routed by key, and a fixed
 *     threshold ({@link dev.hookline.engine.hook.RelationSpanScope}; {@link CoachHookParams#spanRelationTuned()})
 * @param alphaEdit AlphaEdit (ICLR 2025): null-space projected update in place
 * @param ultraEdit UltraEdit (2025): lifelong-normalised one-step update in place
 * @param coachHookNearest CoachHooK with the nearest-edit scope ({@link dev.hookline.engine.hook.NearestKeyScope}):
 *     no relation labels
 * @param alphaEditNearest alphaedit-nearest (this project's method): AlphaEdit's update in hooks under
 *     coachhook-nearest's scope
 * @param alphaEditShards alphaedit-shards (this project's method): alphaedit-nearest with a delta per shard of
 *     edits, routed by the nearest edited key
 * @param codebookNearest codebook-nearest (this project's method): each edit's residual as a codebook row served
 *     where the nearest-edit scope admits a position; codebook-subject takes the same record and gates each row
 *     by its edit's subject (a position takes a row only after the subject's tokens)
 */
public record Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
        List<String> contextPrefixes, CoachHookParams coachHookPlus, CoachHookParams noHook,
        CoachHookParams coachHookSpan, CoachHookParams coachHookSpanRelation, AlphaEditParams alphaEdit,
        UltraEditParams ultraEdit, CoachHookParams coachHookNearest, AlphaEditNearestParams alphaEditNearest,
        AlphaEditShardsParams alphaEditShards, CodebookNearestParams codebookNearest) {

    /** Method names accepted by {@link #create}. */
    public static final List<String> NAMES = List.of("coachhook", "coachhook-corpus", "coachhook-plus",
            "coachhook-span", "coachhook-span-relation", "coachhook-nohook", "memit", "ft", "alphaedit", "ultraedit",
            "coachhook-nearest", "alphaedit-nearest", "alphaedit-shards", "codebook-nearest", "codebook-subject");

    public Methods {
        if (!coachHook.scope().equals("sequence") || !coachHookCorpus.scope().equals("corpus")) {
            throw new IllegalArgumentException("coachhook uses the sequence scope, coachhook-corpus the corpus scope");
        }
        if (coachHookPlus == null || noHook == null || coachHookSpan == null) {
            throw new IllegalArgumentException("coachHookPlus, noHook and coachHookSpan hyperparameters are required");
        }
        if (!coachHookSpan.scope().equals("span")) {
            throw new IllegalArgumentException("coachhook-span uses the span scope, got " + coachHookSpan.scope());
        }
        if (coachHookSpanRelation == null || !coachHookSpanRelation.scope().equals("span-relation")) {
            throw new IllegalArgumentException("coachhook-span-relation uses the span-relation scope");
        }
        if (alphaEdit == null || ultraEdit == null) {
            throw new IllegalArgumentException("alphaEdit and ultraEdit hyperparameters are required");
        }
        if (coachHookNearest == null || !coachHookNearest.scope().equals("nearest")) {
            throw new IllegalArgumentException("coachhook-nearest uses the nearest scope");
        }
        if (alphaEditNearest == null || alphaEditShards == null || codebookNearest == null) {
            throw new IllegalArgumentException("alphaEditNearest, alphaEditShards and codebookNearest hyperparameters"
                    + " are required");
        }
        contextPrefixes = List.copyOf(contextPrefixes);
    }

    /**
     * The fourteen-record form: codebook-nearest takes alphaedit-shards' layer, value step and lambda_s at its own
     * default threshold ({@link CodebookNearestParams#DEFAULT_ALPHA0}).
     */
    public Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
            List<String> contextPrefixes, CoachHookParams coachHookPlus, CoachHookParams noHook,
            CoachHookParams coachHookSpan, CoachHookParams coachHookSpanRelation, AlphaEditParams alphaEdit,
            UltraEditParams ultraEdit, CoachHookParams coachHookNearest, AlphaEditNearestParams alphaEditNearest,
            AlphaEditShardsParams alphaEditShards) {
        this(coachHook, coachHookCorpus, memit, ft, contextPrefixes, coachHookPlus, noHook, coachHookSpan,
                coachHookSpanRelation, alphaEdit, ultraEdit, coachHookNearest, alphaEditNearest, alphaEditShards,
                CodebookNearestParams.of(alphaEditShards, CodebookNearestParams.DEFAULT_ALPHA0));
    }

    /**
     * The thirteen-record form: alphaedit-shards takes alphaedit-nearest's record at its own default threshold
     * ({@link AlphaEditShardsParams#tuned}) and the default shard size.
     */
    public Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
            List<String> contextPrefixes, CoachHookParams coachHookPlus, CoachHookParams noHook,
            CoachHookParams coachHookSpan, CoachHookParams coachHookSpanRelation, AlphaEditParams alphaEdit,
            UltraEditParams ultraEdit, CoachHookParams coachHookNearest, AlphaEditNearestParams alphaEditNearest) {
        this(coachHook, coachHookCorpus, memit, ft, contextPrefixes, coachHookPlus, noHook, coachHookSpan,
                coachHookSpanRelation, alphaEdit, ultraEdit, coachHookNearest, alphaEditNearest,
                AlphaEditShardsParams.tuned(alphaEditNearest));
    }

    /**
     * The twelve-record form: alphaedit-nearest takes {@code alphaEdit}'s layers, L2 and value step with its
     * own default threshold ({@link AlphaEditNearestParams#tuned}) under {@code coachHookNearest}'s scope.
     */
    public Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
            List<String> contextPrefixes, CoachHookParams coachHookPlus, CoachHookParams noHook,
            CoachHookParams coachHookSpan, CoachHookParams coachHookSpanRelation, AlphaEditParams alphaEdit,
            UltraEditParams ultraEdit, CoachHookParams coachHookNearest) {
        this(coachHook, coachHookCorpus, memit, ft, contextPrefixes, coachHookPlus, noHook, coachHookSpan,
                coachHookSpanRelation, alphaEdit, ultraEdit, coachHookNearest,
                AlphaEditNearestParams.tuned(alphaEdit, coachHookNearest));
    }

    /** The eleven-record form: coachhook-nearest takes span-relation's record with the nearest scope. */
    public Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
            List<String> contextPrefixes, CoachHookParams coachHookPlus, CoachHookParams noHook,
            CoachHookParams coachHookSpan, CoachHookParams coachHookSpanRelation, AlphaEditParams alphaEdit,
            UltraEditParams ultraEdit) {
        this(coachHook, coachHookCorpus, memit, ft, contextPrefixes, coachHookPlus, noHook, coachHookSpan,
                coachHookSpanRelation, alphaEdit, ultraEdit, nearestOf(coachHookSpanRelation, CoachHookParams.NEAREST_ALPHA0));
    }

    /** {@code relation}'s record (layers, lambda, value step, lambda_s) with the nearest scope at {@code alpha}. */
    public static CoachHookParams nearestOf(CoachHookParams relation, double alpha) {
        return new CoachHookParams(relation.layers(), relation.lambda(), alpha, "nearest", relation.valueStep(), 0,
                relation.scopeLambda(), relation.valueHooks(), CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, 1);
    }

    /**
     * The nine-record form: AlphaEdit and UltraEdit take their defaults with {@code memit}'s layers
     * and value step.
     */
    public Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
            List<String> contextPrefixes, CoachHookParams coachHookPlus, CoachHookParams noHook,
            CoachHookParams coachHookSpan, CoachHookParams coachHookSpanRelation) {
        this(coachHook, coachHookCorpus, memit, ft, contextPrefixes, coachHookPlus, noHook, coachHookSpan,
                coachHookSpanRelation,
                new AlphaEditParams(memit.layers(), AlphaEditParams.DEFAULT_THRESHOLD, AlphaEditParams.DEFAULT_L2,
                        memit.valueStep()),
                UltraEditParams.defaults().withLayers(memit.layers()));
    }

    /**
     * The earlier five-record form: coachhook-plus takes its tuned record with {@code coachHookCorpus}'s
     * layers, and the no-hook ablation {@code coachHook}'s record.
     */
    public Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
            List<String> contextPrefixes) {
        this(coachHook, coachHookCorpus, memit, ft, contextPrefixes,
                CoachHookParams.plusTuned().withLayersAndLambda(coachHookCorpus.layers(), coachHookCorpus.lambda())
                        .withValueStep(coachHookCorpus.valueStep()),
                coachHook, CoachHookParams.spanTuned().withLayersAndLambda(coachHook.layers(), coachHook.lambda())
                        .withValueStep(coachHook.valueStep()),
                CoachHookParams.spanRelationTuned().withLayersAndLambda(coachHook.layers(), coachHook.lambda())
                        .withValueStep(coachHook.valueStep()));
    }

    /**
     * Every method's default record for the fact-world presets (the records tuned by the sweep in
     * docs/BENCHMARKS.md: layer 2 of 3, lambda 1500; FT with its tuned bound).
     */
    public static Methods defaults(List<String> contextPrefixes) {
        return new Methods(CoachHookParams.defaults(), CoachHookParams.corpusTuned(), MemitParams.defaults(),
                FtParams.tuned(), contextPrefixes, CoachHookParams.plusTuned(), CoachHookParams.noHookTuned(),
                CoachHookParams.spanTuned(), CoachHookParams.spanRelationTuned(), AlphaEditParams.defaults(),
                UltraEditParams.defaults(), CoachHookParams.nearestTuned());
    }

    /** The same records as {@link #defaults(List)}. */
    public static Methods tuned(List<String> contextPrefixes) {
        return defaults(contextPrefixes);
    }

    /** Rejects unknown names with the list of valid ones. */
    public static void requireKnown(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no methods given; valid: " + String.join(", ", NAMES));
        }
        for (String n : names) {
            if (!NAMES.contains(n)) {
                throw new IllegalArgumentException("unknown method '" + n + "'; valid: " + String.join(", ", NAMES));
            }
        }
    }

    /** Layers whose key statistics the given methods need. */
    public int[] statisticsLayers(List<String> names) {
        TreeSet<Integer> layers = new TreeSet<>();
        for (String n : names) {
            int[] ls = switch (n) {
                case "coachhook" -> coachHook.layers();
                case "coachhook-nohook" -> noHook.layers();
                case "coachhook-corpus" -> coachHookCorpus.layers();
                case "coachhook-plus" -> coachHookPlus.layers();
                case "coachhook-span" -> coachHookSpan.layers();
                case "coachhook-span-relation" -> coachHookSpanRelation.layers();
                case "coachhook-nearest" -> coachHookNearest.layers();
                case "memit" -> memit.layers();
                case "alphaedit" -> alphaEdit.layers();
                case "alphaedit-nearest" -> alphaEditNearest.update().layers();
                case "alphaedit-shards" -> alphaEditShards.nearest().update().layers();
                case "codebook-nearest", "codebook-subject" -> codebookNearest.layers();
                default -> new int[0]; // ft and ultraedit need no key statistics
            };
            for (int l : ls) {
                layers.add(l);
            }
        }
        return layers.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The hyperparameter record of {@code name}. */
    public Record params(String name) {
        return switch (name) {
            case "coachhook" -> coachHook;
            case "coachhook-nohook" -> noHook;
            case "coachhook-corpus" -> coachHookCorpus;
            case "coachhook-plus" -> coachHookPlus;
            case "coachhook-span" -> coachHookSpan;
            case "coachhook-span-relation" -> coachHookSpanRelation;
            case "coachhook-nearest" -> coachHookNearest;
            case "memit" -> memit;
            case "ft" -> ft;
            case "alphaedit" -> alphaEdit;
            case "alphaedit-nearest" -> alphaEditNearest;
            case "alphaedit-shards" -> alphaEditShards;
            case "codebook-nearest", "codebook-subject" -> codebookNearest;
            case "ultraedit" -> ultraEdit;
            default -> throw new IllegalArgumentException("unknown method " + name);
        };
    }

    /** A fresh editor of method {@code name} on {@code base} (in-place methods copy it). */
    public SequentialEditor create(String name, CausalLm base, TextTokenizer tokenizer, LayerStatistics stats) {
        return switch (name) {
            case "coachhook" -> ClosedFormEditor.coachHook(base, tokenizer, stats, coachHook, contextPrefixes);
            case "coachhook-corpus" -> ClosedFormEditor.coachHook(base, tokenizer, stats, coachHookCorpus, contextPrefixes);
            case "coachhook-plus" -> ClosedFormEditor.coachHook(base, tokenizer, stats, coachHookPlus, contextPrefixes,
                    "coachhook-plus");
            case "coachhook-span" -> ClosedFormEditor.span(base, tokenizer, stats, coachHookSpan, contextPrefixes,
                    "coachhook-span", false);
            case "coachhook-span-relation" -> ClosedFormEditor.span(base, tokenizer, stats, coachHookSpanRelation,
                    contextPrefixes, "coachhook-span-relation", false);
            case "coachhook-nearest" -> ClosedFormEditor.span(base, tokenizer, stats, coachHookNearest, contextPrefixes,
                    "coachhook-nearest", false);
            case "coachhook-nohook" -> ClosedFormEditor.noHook(base, tokenizer, stats, noHook, contextPrefixes);
            case "memit" -> ClosedFormEditor.memit(base, tokenizer, stats, memit, contextPrefixes);
            case "ft" -> new FtEditor(base, tokenizer, ft, contextPrefixes);
            case "alphaedit" -> ClosedFormEditor.alphaEdit(base, tokenizer, stats, alphaEdit, contextPrefixes);
            case "alphaedit-nearest" -> ClosedFormEditor.alphaEditNearest(base, tokenizer, stats, alphaEditNearest,
                    contextPrefixes);
            case "alphaedit-shards" -> ClosedFormEditor.alphaEditShards(base, tokenizer, stats, alphaEditShards,
                    contextPrefixes);
            case "codebook-nearest" -> ClosedFormEditor.codebookNearest(base, tokenizer, stats, codebookNearest,
                    contextPrefixes);
            case "codebook-subject" -> ClosedFormEditor.codebookSubject(base, tokenizer, stats, codebookNearest,
                    contextPrefixes);
            case "ultraedit" -> new UltraEditor(base, tokenizer, ultraEdit);
            default -> throw new IllegalArgumentException("unknown method '" + name + "'; valid: " + String.join(", ", NAMES));
        };
    }
}
