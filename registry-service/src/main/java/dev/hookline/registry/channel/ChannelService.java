package dev.hookline.registry.channel;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.channel.ChannelDtos.ChannelView;
import dev.hookline.registry.governance.Ancestry;
import dev.hookline.registry.governance.GovernanceService;
import dev.hookline.registry.governance.ReleaseHistory;
import dev.hookline.registry.model.ModelService;
import dev.hookline.registry.version.HookVersion;
import dev.hookline.registry.version.VersionDtos;
import dev.hookline.registry.version.VersionService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Channels: pin, roll back, read history, resolve. Moves are optimistic: the request names the
 * version it expects to replace, and the row's {@code @Version} catches a concurrent move that
 * slipped in between (both are 409, so no move is ever lost silently).
 */
@ApplicationScoped
public class ChannelService {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    @Inject
    AuditLog audit;

    @Inject
    VersionService versions;

    @Inject
    EntityManager em;

    @Transactional
    public ChannelView move(long modelId, String name, ChannelDtos.MoveRequest req, String actor) {
        Check.body(req);
        checkName(name);
        Check c = new Check();
        c.present(req.versionId(), "versionId");
        c.notBlank(req.reason(), "reason");
        RequestValidator.text(c, req.reason(), "reason", RequestValidator.MAX_REASON);
        c.done();
        ModelService.require(modelId);
        HookVersion target = servable(modelId, req.versionId(), "versionId");
        Channel ch = Channel.find("modelId = ?1 and name = ?2", modelId, name).firstResult();
        if (ch == null) {
            if (req.expectedVersionId() != null) {
                throw ApiProblem.conflict("channel '" + name + "' does not exist yet; omit expectedVersionId to create it",
                        "expectedVersionId");
            }
            ch = new Channel();
            ch.modelId = modelId;
            ch.name = name;
        } else {
            if (req.expectedVersionId() == null) {
                throw ApiProblem.conflict("channel '" + name + "' exists at version " + ch.versionId
                        + "; give expectedVersionId to move it", "expectedVersionId");
            }
            expect(ch, req.expectedVersionId());
            if (ch.versionId.equals(target.id)) {
                throw new ApiProblem(409, "no-op-move", "Move to the current version", "channel '" + name
                        + "' already points at version " + target.id + " (v" + target.number
                        + "); a move must change the version", List.of());
            }
        }
        GovernanceService.checkApprovals(ch, target, actor);
        return record(ch, target, ChannelMove.Kind.PIN, req.reason(), actor);
    }

    @Transactional
    public ChannelView rollback(long modelId, String name, ChannelDtos.RollbackRequest req, String actor) {
        Check.body(req);
        checkName(name);
        Check c = new Check();
        c.notBlank(req.reason(), "reason");
        RequestValidator.text(c, req.reason(), "reason", RequestValidator.MAX_REASON);
        c.done();
        Channel ch = require(modelId, name);
        if (req.expectedVersionId() != null) {
            expect(ch, req.expectedVersionId());
        }
        long to;
        if (req.toVersionId() != null) {
            to = req.toVersionId();
            if (to == ch.versionId) {
                throw new ApiProblem(409, "no-op-move", "Move to the current version", "channel '" + name
                        + "' already points at version " + to + "; a rollback must change the version", List.of());
            }
        } else {
            Long previous = ReleaseHistory.rollbackTarget(ch);
            if (previous == null) {
                throw new ApiProblem(409, "no-rollback-target", "Nothing to roll back to", "channel '" + name
                        + "' has no earlier servable version different from the current version " + ch.versionId
                        + " in its release history", List.of());
            }
            to = previous;
        }
        HookVersion target = servable(modelId, to, "toVersionId");
        GovernanceService.checkApprovals(ch, target, actor);
        return record(ch, target, ChannelMove.Kind.ROLLBACK, req.reason(), actor);
    }

    private ChannelView record(Channel ch, HookVersion target, ChannelMove.Kind kind, String reason, String actor) {
        Instant now = Instant.now();
        Long from = ch.versionId;
        ch.versionId = target.id;
        ch.blockedSince = null; // targets are servable, so a move clears a blocked channel
        ch.updatedAt = now;
        ch.updatedBy = actor;
        if (ch.id == null) {
            ch.persist();
        }
        em.flush(); // the optimistic check happens here, before anything else is written
        ChannelMove m = new ChannelMove();
        m.channelId = ch.id;
        m.fromVersionId = from;
        m.toVersionId = target.id;
        m.kind = kind.name();
        m.actor = actor;
        m.reason = reason.trim();
        m.movedAt = now;
        m.persist();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("modelId", ch.modelId);
        payload.put("channel", ch.name);
        payload.put("fromVersionId", from == null ? 0 : from);
        payload.put("toVersionId", target.id);
        payload.put("bundleDigest", target.bundleDigest);
        payload.put("reason", m.reason);
        audit.append(actor, kind == ChannelMove.Kind.PIN ? "channel.moved" : "channel.rolled_back", "channel", ch.id,
                payload);
        return view(ch, true);
    }

    @Transactional
    public List<ChannelView> list(long modelId) {
        ModelService.require(modelId);
        return Channel.<Channel>list("modelId = ?1 order by name", modelId).stream().map(ch -> view(ch, false)).toList();
    }

    @Transactional
    public ChannelView get(long modelId, String name) {
        return view(require(modelId, name), true);
    }

    @Transactional
    public VersionDtos.Resolution resolve(long modelId, String name) {
        Channel ch = require(modelId, name);
        return versions.resolution(VersionService.require(ch.versionId), ch.name);
    }

    /** What the channel pointed at at time {@code at} (from its history rows). */
    @Transactional
    public ChannelDtos.PointInTime at(long modelId, String name, Instant at) {
        Channel ch = require(modelId, name);
        ChannelMove m = ChannelMove.find("channelId = ?1 and movedAt <= ?2 order by movedAt desc, id desc", ch.id, at)
                .firstResult();
        if (m == null) {
            return new ChannelDtos.PointInTime(modelId, name, at, null, null, null, null);
        }
        HookVersion v = VersionService.require(m.toVersionId);
        return new ChannelDtos.PointInTime(modelId, name, at, v.id, v.number, v.bundleDigest, m.movedAt);
    }

    private static void expect(Channel ch, long expected) {
        if (ch.versionId != expected) {
            throw ApiProblem.conflict("channel '" + ch.name + "' is at version " + ch.versionId + ", not "
                    + expected + " as expected; it was moved concurrently", "expectedVersionId");
        }
    }

    private static HookVersion servable(long modelId, long versionId, String field) {
        HookVersion v = HookVersion.findById(versionId);
        if (v == null || v.modelId != modelId) {
            throw ApiProblem.unprocessable("version " + versionId + " is not a version of model " + modelId, field);
        }
        if (v.state != HookVersion.State.VALIDATED) {
            throw ApiProblem.unprocessable("version " + versionId + " is " + v.state
                    + "; channels point only at VALIDATED versions", field);
        }
        HookVersion a = Ancestry.firstUnvalidatedAncestor(v);
        if (a != null) {
            throw new ApiProblem(422, "ancestry", "Ancestor not validated", "version " + versionId
                    + " cannot be released: its ancestor version " + a.id + " (v" + a.number + ") is " + a.state
                    + "; channels point only at versions whose every ancestor is VALIDATED",
                    List.of(new dev.hookline.registry.api.Problem.FieldError(field, "ancestor " + a.id + " is "
                            + a.state)));
        }
        return v;
    }

    private static Channel require(long modelId, String name) {
        checkName(name);
        Channel ch = Channel.find("modelId = ?1 and name = ?2", modelId, name).firstResult();
        if (ch == null) {
            ModelService.require(modelId);
            throw ApiProblem.notFound("channel", "'" + name + "' of model " + modelId);
        }
        return ch;
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw ApiProblem.badRequest("a channel name matches " + NAME.pattern(), "name");
        }
    }

    private static ChannelView view(Channel ch, boolean withHistory) {
        HookVersion v = VersionService.require(ch.versionId);
        List<ChannelDtos.MoveView> history = withHistory
                ? ChannelMove.<ChannelMove>list("channelId = ?1 order by movedAt desc, id desc", ch.id).stream()
                .map(ChannelDtos.MoveView::of).toList()
                : List.of();
        return new ChannelView(ch.id, ch.modelId, ch.name, v.id, v.number, v.bundleDigest, ch.updatedAt, ch.updatedBy,
                ch.rowVersion, history, ch.requiredApprovals, GovernanceService.health(ch));
    }
}
