/*
 * Where a rollback goes (issue 25: safe releases). The moves of a channel are replayed as a
 * stack: a pin pushes its target, a rollback pops back down to its target. A rollback then goes
 * to the nearest entry below the top that differs from the current version and is still
 * servable, so rolling back twice walks further back instead of toggling between two versions.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.channel.Channel;
import dev.hookline.registry.channel.ChannelMove;
import dev.hookline.registry.version.HookVersion;

import java.util.ArrayList;
import java.util.List;

/** Rollback targets from a channel's move history. */
public final class ReleaseHistory {

    private ReleaseHistory() {
    }

    /** The release stack of a channel, oldest first (the last entry is the current version). */
    public static List<Long> stack(Channel ch) {
        List<Long> stack = new ArrayList<>();
        for (ChannelMove m : ChannelMove.<ChannelMove>list("channelId = ?1 order by movedAt, id", ch.id)) {
            if (ChannelMove.Kind.ROLLBACK.name().equals(m.kind)) {
                int at = stack.lastIndexOf(m.toVersionId);
                if (at >= 0) {
                    stack.subList(at + 1, stack.size()).clear();
                    continue;
                }
            }
            stack.add(m.toVersionId);
        }
        return stack;
    }

    /** The version a rollback without a target goes to, or null when there is none. */
    public static Long rollbackTarget(Channel ch) {
        List<Long> stack = stack(ch);
        for (int i = stack.size() - 1; i >= 0; i--) {
            Long id = stack.get(i);
            if (id.equals(ch.versionId)) {
                continue;
            }
            HookVersion v = HookVersion.findById(id);
            if (v != null && Ancestry.servable(v)) {
                return id;
            }
        }
        return null;
    }
}
