/*
 * The editing methods a bench or an edit run can use, by name, with their hyperparameter records.
 */
package dev.hookline.engine.bench;

import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.FtEditor;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.Gpt2Model;
import java.util.List;
import java.util.TreeSet;

/**
 * Hyperparameters of every method in one run.
 *
 * @param coachHook CoachHooK (faithful; also the no-hook ablation's algebra)
 * @param coachHookCorpus CoachHooK with the corpus-calibrated scope test
 * @param memit MEMIT-sequential
 * @param ft constrained fine-tuning
 * @param contextPrefixes context prefixes of the value step and key averaging
 */
public record Methods(CoachHookParams coachHook, CoachHookParams coachHookCorpus, MemitParams memit, FtParams ft,
        List<String> contextPrefixes) {

    /** Method names accepted by {@link #create}. */
    public static final List<String> NAMES = List.of("coachhook", "coachhook-corpus", "coachhook-nohook", "memit", "ft");

    public Methods {
        if (!coachHook.scope().equals("sequence") || !coachHookCorpus.scope().equals("corpus")) {
            throw new IllegalArgumentException("coachhook uses the sequence scope, coachhook-corpus the corpus scope");
        }
        contextPrefixes = List.copyOf(contextPrefixes);
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
                case "coachhook", "coachhook-nohook" -> coachHook.layers();
                case "coachhook-corpus" -> coachHookCorpus.layers();
                case "memit" -> memit.layers();
                default -> new int[0];
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
            case "coachhook", "coachhook-nohook" -> coachHook;
            case "coachhook-corpus" -> coachHookCorpus;
            case "memit" -> memit;
            case "ft" -> ft;
            default -> throw new IllegalArgumentException("unknown method " + name);
        };
    }

    /** A fresh editor of method {@code name} on {@code base} (in-place methods copy it). */
    public SequentialEditor create(String name, Gpt2Model base, TextTokenizer tokenizer, LayerStatistics stats) {
        return switch (name) {
            case "coachhook" -> ClosedFormEditor.coachHook(base, tokenizer, stats, coachHook, contextPrefixes);
            case "coachhook-corpus" -> ClosedFormEditor.coachHook(base, tokenizer, stats, coachHookCorpus, contextPrefixes);
            case "coachhook-nohook" -> ClosedFormEditor.noHook(base, tokenizer, stats, coachHook, contextPrefixes);
            case "memit" -> ClosedFormEditor.memit(base, tokenizer, stats, memit, contextPrefixes);
            case "ft" -> new FtEditor(base, tokenizer, ft, contextPrefixes);
            default -> throw new IllegalArgumentException("unknown method '" + name + "'; valid: " + String.join(", ", NAMES));
        };
    }
}
