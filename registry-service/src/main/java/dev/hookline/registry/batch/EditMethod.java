/*
 * Editing method names of the batch API. Stored by enum name (TEXT column, no CHECK constraint in
 * migrations/V1__registry_schema.sql), so adding a method needs no migration.
 */
package dev.hookline.registry.batch;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;

/**
 * The editing methods a worker knows (DESIGN.md §3), named on the wire exactly as the engine
 * names them ({@code dev.hookline.engine.bench.Methods.NAMES}).
 */
public enum EditMethod {
    /** Consecutive batch editing with hook layers, the paper's per-sequence z-score scope. */
    COACHHOOK("coachhook"),
    /** CoachHooK with the corpus-calibrated scope test. */
    COACHHOOK_CORPUS("coachhook-corpus"),
    /** CoachHooK with residual boost rounds before alpha is lowered (sequence z-score scope). */
    COACHHOOK_PLUS("coachhook-plus"),
    /** CoachHooK with the span scope test: rho of the key in the edited span, fixed threshold. */
    COACHHOOK_SPAN("coachhook-span"),
    /** CoachHooK with one span per relation (the edits' {@code relation}), routed by key, fixed threshold. */
    COACHHOOK_SPAN_RELATION("coachhook-span-relation"),
    /** CoachHooK with the nearest-edit scope: a key takes the edit near one edited key; no relation labels. */
    COACHHOOK_NEAREST("coachhook-nearest"),
    /**
     * AlphaEdit's null-space projected update in hook layers, served under the nearest-edit scope; no
     * relation labels (this project's method; the faithful AlphaEdit edits in place and has no worker form).
     */
    ALPHAEDIT_NEAREST("alphaedit-nearest"),
    /**
     * alphaedit-nearest with one hook delta per shard of edits (hyperparameter {@code shardEdits}), a key
     * taking the delta of its nearest edited key's shard: room for more edits than one delta holds.
     */
    ALPHAEDIT_SHARDS("alphaedit-shards"),
    /**
     * Each edit's residual at the editing layer kept as a codebook row, served where the nearest-edit scope
     * admits a key, for its nearest edited key (this project's method; one layer, no lambda).
     */
    CODEBOOK_NEAREST("codebook-nearest"),
    /**
     * codebook-nearest whose rows are gated by their edits' subjects: a position takes an edit's row only after
     * the edit's subject has appeared in the text (this project's method; one layer, no lambda). A branch cannot
     * switch between it and codebook-nearest.
     */
    CODEBOOK_SUBJECT("codebook-subject"),
    /** CoachHooK's accumulating C_accu without hooks, W changed in place (ablation). */
    COACHHOOK_NOHOOK("coachhook-nohook"),
    /** MEMIT: same value step, no accumulation, W changed in place. */
    MEMIT("memit"),
    /** Constrained fine-tuning of the editing layers. */
    FT("ft");

    /**
     * The method of a batch that names none on a new branch from the base model (the recommended one,
     * README and API.md); on a branch with batches it is the branch's (BatchService.branchMethod).
     */
    public static final EditMethod RECOMMENDED = CODEBOOK_SUBJECT;

    private final String wireName;

    EditMethod(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in the API and by the engine. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** codebook-nearest and codebook-subject: hook state that continues only under the method that made it. */
    public boolean codebook() {
        return this == CODEBOOK_NEAREST || this == CODEBOOK_SUBJECT;
    }

    /** The scope test of this method's bundles, as the worker names it (EditMapping.bundleScope). */
    public String bundleScope() {
        return switch (this) {
            case COACHHOOK_CORPUS, COACHHOOK_PLUS -> "corpus-z";
            case COACHHOOK_SPAN -> "span";
            case COACHHOOK_SPAN_RELATION -> "span-relation";
            case COACHHOOK_NEAREST, ALPHAEDIT_NEAREST, ALPHAEDIT_SHARDS, CODEBOOK_NEAREST, CODEBOOK_SUBJECT -> "nearest";
            default -> "sequence-z";
        };
    }

    /**
     * Why a batch of this method cannot continue hook state that {@code made} produced, or null when it can. The
     * engine's and the worker's rules (ClosedFormEditor.restore, JobExecution), checked at submission so that a
     * batch the worker would refuse is never accepted: a codebook continues only under its own method; otherwise
     * the scope test, the editing state (CoachHooK's C_accu or AlphaEdit's K_p K_p^T) and the sharding must agree.
     */
    public String cannotContinue(EditMethod made) {
        if (made == this) {
            return null;
        }
        if (codebook() || made.codebook()) {
            return "a codebook continues only under the method that made it";
        }
        if (!bundleScope().equals(made.bundleScope())) {
            return "its scope test is " + made.bundleScope() + ", " + wireName + "'s " + bundleScope();
        }
        boolean alphaEdit = this == ALPHAEDIT_NEAREST || this == ALPHAEDIT_SHARDS;
        if (alphaEdit != (made == ALPHAEDIT_NEAREST || made == ALPHAEDIT_SHARDS)) {
            return "their editing state differs: C_accu against AlphaEdit's K_p K_p^T";
        }
        if (this == ALPHAEDIT_SHARDS || made == ALPHAEDIT_SHARDS) {
            return "one delta against a delta per shard";
        }
        return null;
    }

    /** Exact wire name only (no trimming, no case folding): anything else is a 400. */
    @JsonCreator
    public static EditMethod of(String name) {
        for (EditMethod m : values()) {
            if (m.wireName.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + name + "'; one of "
                + Arrays.stream(values()).map(EditMethod::wireName).toList());
    }
}
