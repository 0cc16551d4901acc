/*
 * Lineage rules of issue 25 (governance): a version is only as good as its ancestors. Versions
 * form a tree through parentVersionId (null = the base model, version 0); these helpers walk it.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.version.HookVersion;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Ancestors, descendants and the nearest servable version of a hook version. */
public final class Ancestry {

    private Ancestry() {
    }

    /** The ancestors of {@code v}, nearest the base first (the parent is last); excludes {@code v}. */
    public static List<HookVersion> ancestors(HookVersion v) {
        List<HookVersion> out = new ArrayList<>();
        Long p = v.parentVersionId;
        while (p != null) {
            HookVersion parent = HookVersion.findById(p);
            out.add(parent);
            p = parent.parentVersionId;
        }
        Collections.reverse(out);
        return out;
    }

    /** The first ancestor (nearest the base) that is not VALIDATED, or null when all are. */
    public static HookVersion firstUnvalidatedAncestor(HookVersion v) {
        for (HookVersion a : ancestors(v)) {
            if (a.state != HookVersion.State.VALIDATED) {
                return a;
            }
        }
        return null;
    }

    /** VALIDATED and every ancestor VALIDATED: the only versions a channel may point at. */
    public static boolean servable(HookVersion v) {
        return v.state == HookVersion.State.VALIDATED && firstUnvalidatedAncestor(v) == null;
    }

    /** Every version below {@code v} in its model's lineage tree (any depth). */
    public static List<HookVersion> descendants(HookVersion v) {
        Map<Long, List<HookVersion>> children = new HashMap<>();
        for (HookVersion o : HookVersion.<HookVersion>list("modelId", v.modelId)) {
            if (o.parentVersionId != null) {
                children.computeIfAbsent(o.parentVersionId, k -> new ArrayList<>()).add(o);
            }
        }
        List<HookVersion> out = new ArrayList<>();
        List<HookVersion> todo = new ArrayList<>(children.getOrDefault(v.id, List.of()));
        while (!todo.isEmpty()) {
            HookVersion c = todo.remove(todo.size() - 1);
            out.add(c);
            todo.addAll(children.getOrDefault(c.id, List.of()));
        }
        return out;
    }

    /**
     * The nearest servable version on {@code v}'s own lineage ({@code v} itself, else its nearest
     * servable ancestor), or null when none is: what a releaser is offered instead of a blocked version.
     */
    public static HookVersion nearestServable(HookVersion v) {
        List<HookVersion> line = ancestors(v);
        line.add(v);
        // the servable prefix: every version up to the first one that is not VALIDATED
        HookVersion best = null;
        for (HookVersion a : line) {
            if (a.state != HookVersion.State.VALIDATED) {
                break;
            }
            best = a;
        }
        return best;
    }
}
