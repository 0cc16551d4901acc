/*
 * The governance rules of issue 25 that sit around review and release: ancestry (validate only
 * below validated ancestors; a rejection blocks every descendant and flags channels that point
 * into the blocked part), quality gates with audited overrides, and release approvals.
 * VersionService and ChannelService call in here; every rule is enforced by the API.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.channel.Channel;
import dev.hookline.registry.governance.GovernanceDtos.ChannelHealth;
import dev.hookline.registry.governance.GovernanceDtos.GateCheck;
import dev.hookline.registry.governance.GovernanceDtos.GateFailure;
import dev.hookline.registry.governance.GovernanceDtos.GateView;
import dev.hookline.registry.model.ModelService;
import dev.hookline.registry.version.HookVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Ancestry, quality gates and release approvals. */
@ApplicationScoped
public class GovernanceService {

    private static final Logger LOG = Logger.getLogger(GovernanceService.class);

    @Inject
    AuditLog audit;

    // ---------------------------------------------------------------- ancestry

    /**
     * Refuses validating {@code v} while an ancestor is not VALIDATED (409 {@code ancestry}), and
     * below the model's quality gate without an override reason (422 {@code quality-gate}).
     * Returns the override reason to record (null when the gate passed).
     */
    public String checkValidation(HookVersion v, Boolean override, String overrideReason) {
        HookVersion a = Ancestry.firstUnvalidatedAncestor(v);
        if (a != null) {
            throw new ApiProblem(409, "ancestry", "Ancestor not validated", "version " + v.id + " (v" + v.number
                    + ") cannot be validated: its ancestor version " + a.id + " (v" + a.number + ") is " + a.state
                    + "; validate every ancestor first, nearest the base first", List.of());
        }
        GateCheck gate = gateCheck(v);
        if (gate.passed()) {
            return null;
        }
        StringBuilder missed = new StringBuilder();
        for (GateFailure f : gate.failures()) {
            missed.append(missed.isEmpty() ? "" : "; ").append(f.metric()).append(' ')
                    .append(f.value() == null ? "not reported" : String.format("%.3f", f.value()))
                    .append(" (gate: ").append(f.bound()).append(' ').append(f.threshold()).append(')');
        }
        if (!Boolean.TRUE.equals(override)) {
            throw new ApiProblem(422, "quality-gate", "Below the quality gate", "version " + v.id
                    + " is below model " + v.modelId + "'s quality gate: " + missed
                    + "; validating it needs override: true and an overrideReason", List.of());
        }
        if (overrideReason == null || overrideReason.isBlank()) {
            throw ApiProblem.badRequest("an override of the quality gate needs a non-blank overrideReason",
                    "overrideReason");
        }
        return overrideReason.trim() + " [gate missed: " + missed + "]";
    }

    /**
     * After {@code rejected} was rejected: every descendant that is not already REJECTED becomes
     * BLOCKED, and every channel pointing at the rejected version or a blocked one is flagged
     * (audit {@code channel.blocked}, WARN log, gauge {@code hookline_blocked_channels}).
     */
    public void afterRejection(HookVersion rejected, String actor) {
        Set<Long> affected = new HashSet<>();
        affected.add(rejected.id);
        for (HookVersion d : Ancestry.descendants(rejected)) {
            affected.add(d.id);
            if (d.state == HookVersion.State.REJECTED || d.state == HookVersion.State.BLOCKED) {
                continue;
            }
            String before = d.state.name();
            d.state = HookVersion.State.BLOCKED;
            d.blockedBy = rejected.id;
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("previousState", before);
            payload.put("rejectedAncestorId", rejected.id);
            audit.append(actor, "version.blocked", "version", d.id, payload);
        }
        Instant now = Instant.now();
        for (Channel ch : Channel.<Channel>list("modelId", rejected.modelId)) {
            if (!affected.contains(ch.versionId) || ch.blockedSince != null) {
                continue;
            }
            ch.blockedSince = now;
            HookVersion current = HookVersion.findById(ch.versionId);
            HookVersion suggested = Ancestry.nearestServable(current);
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("channel", ch.name);
            payload.put("modelId", ch.modelId);
            payload.put("versionId", ch.versionId);
            payload.put("rejectedVersionId", rejected.id);
            payload.put("suggestedVersionId", suggested == null ? 0 : suggested.id);
            audit.append(actor, "channel.blocked", "channel", ch.id, payload);
            LOG.warnf("channel '%s' of model %d points at version %d, which is now %s (version %d was rejected); "
                            + "nearest servable version: %s", ch.name, ch.modelId, ch.versionId, current.state,
                    rejected.id, suggested == null ? "none" : String.valueOf(suggested.id));
        }
    }

    /** How a channel stands (see {@link ChannelHealth}). */
    public static ChannelHealth health(Channel ch) {
        HookVersion v = HookVersion.findById(ch.versionId);
        boolean blocked = v.state == HookVersion.State.REJECTED || v.state == HookVersion.State.BLOCKED;
        if (!blocked) {
            return new ChannelHealth(false, v.state.name(), null, null, null, null);
        }
        HookVersion s = Ancestry.nearestServable(v);
        String msg = "channel '" + ch.name + "' points at version " + v.id + " (v" + v.number + "), which is "
                + v.state + (v.blockedBy != null ? " because ancestor version " + v.blockedBy + " was rejected" : "")
                + "; " + (s == null ? "no earlier version of this lineage is servable"
                : "nearest servable version: " + s.id + " (v" + s.number + ")");
        return new ChannelHealth(true, v.state.name(), ch.blockedSince, msg, s == null ? null : s.id,
                s == null ? null : s.number);
    }

    // ---------------------------------------------------------------- quality gates

    @Transactional
    public GateView gate(long modelId) {
        ModelService.require(modelId);
        QualityGate g = QualityGate.findById(modelId);
        return g == null ? new GateView(modelId, null, null, null, null, null, null) : GateView.of(g);
    }

    @Transactional
    public GateView setGate(long modelId, GovernanceDtos.GateRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        unit(c, req.minReliability(), "minReliability");
        unit(c, req.minGenerality(), "minGenerality");
        unit(c, req.minLocality(), "minLocality");
        unit(c, req.maxRegression(), "maxRegression");
        c.notBlank(req.reason(), "reason");
        c.done();
        ModelService.require(modelId);
        QualityGate g = QualityGate.findById(modelId);
        if (g == null) {
            g = new QualityGate();
            g.modelId = modelId;
        }
        g.minReliability = req.minReliability();
        g.minGenerality = req.minGenerality();
        g.minLocality = req.minLocality();
        g.maxRegression = req.maxRegression();
        g.updatedAt = Instant.now();
        g.updatedBy = actor;
        g.persist();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("minReliability", String.valueOf(g.minReliability));
        payload.put("minGenerality", String.valueOf(g.minGenerality));
        payload.put("minLocality", String.valueOf(g.minLocality));
        payload.put("maxRegression", String.valueOf(g.maxRegression));
        payload.put("reason", req.reason().trim());
        audit.append(actor, "model.gate_set", "model", modelId, payload);
        return GateView.of(g);
    }

    /** The gate's verdict on a version's metrics (passed when the model has no gate). */
    public static GateCheck gateCheck(HookVersion v) {
        QualityGate g = QualityGate.findById(v.modelId);
        List<GateFailure> failures = new ArrayList<>();
        if (g != null) {
            JsonNode m = Json.tree(v.metricsJson);
            min(failures, "reliability", metric(m, "batch", "reliability", "reliability"), g.minReliability);
            min(failures, "generality", metric(m, "batch", "generality", "generality"), g.minGenerality);
            min(failures, "locality", metric(m, null, null, "locality"), g.minLocality);
            if (g.maxRegression != null) {
                JsonNode reg = m.path("regression");
                // no earlier edits re-checked (first version): nothing can have regressed
                if (reg.path("edits").asInt(-1) != 0) {
                    Double rel = reg.path("reliability").isNumber() ? reg.path("reliability").asDouble() : null;
                    Double lost = rel == null ? null : 1.0 - rel;
                    if (lost == null || lost > g.maxRegression) {
                        failures.add(new GateFailure("regression", lost, "<=", g.maxRegression));
                    }
                }
            }
        }
        return new GateCheck(failures.isEmpty(), failures, v.gateOverride);
    }

    private static Double metric(JsonNode m, String group, String inGroup, String top) {
        if (group != null && m.path(group).path(inGroup).isNumber()) {
            return m.path(group).path(inGroup).asDouble();
        }
        return m.path(top).isNumber() ? m.path(top).asDouble() : null;
    }

    private static void min(List<GateFailure> out, String name, Double value, Double bound) {
        if (bound != null && (value == null || value < bound)) {
            out.add(new GateFailure(name, value, ">=", bound));
        }
    }

    private static void unit(Check c, Double v, String field) {
        c.that(v == null || (v >= 0 && v <= 1), field, "must be between 0 and 1 when given");
    }

    // ---------------------------------------------------------------- release approvals

    /**
     * Refuses a move of {@code ch} to {@code target} by {@code actor} unless at least
     * {@code requiredApprovals} distinct releasers (the mover counts as one) approved it (409
     * {@code approvals}).
     */
    public static void checkApprovals(Channel ch, HookVersion target, String actor) {
        if (ch.id == null || ch.requiredApprovals <= 1) {
            return;
        }
        Set<String> approvers = new HashSet<>();
        approvers.add(actor);
        for (ReleaseApproval a : ReleaseApproval.<ReleaseApproval>list("channelId = ?1 and versionId = ?2", ch.id,
                target.id)) {
            approvers.add(a.approver);
        }
        if (approvers.size() < ch.requiredApprovals) {
            throw new ApiProblem(409, "approvals", "Approvals missing", "channel '" + ch.name + "' requires "
                    + ch.requiredApprovals + " distinct approvals of a version before a move; version " + target.id
                    + " has " + approvers.size() + " (" + String.join(", ", approvers.stream().sorted().toList())
                    + "); another releaser must approve it first (POST .../channels/" + ch.name + "/approvals)",
                    List.of(new dev.hookline.registry.api.Problem.FieldError("versionId", "needs approvals")));
        }
    }
}
