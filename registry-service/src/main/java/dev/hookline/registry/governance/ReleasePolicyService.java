/* Release policy of channels (issue 25): required approvals per channel and the approvals themselves. */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.channel.Channel;
import dev.hookline.registry.governance.GovernanceDtos.PolicyView;
import dev.hookline.registry.model.ModelService;
import dev.hookline.registry.version.HookVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Sets how many approvals a channel needs and records releasers' approvals of versions. */
@ApplicationScoped
public class ReleasePolicyService {

    @Inject
    AuditLog audit;

    @Transactional
    public PolicyView policy(long modelId, String name) {
        return view(channel(modelId, name, false));
    }

    @Transactional
    public PolicyView setPolicy(long modelId, String name, GovernanceDtos.PolicyRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        if (c.present(req.requiredApprovals(), "requiredApprovals")) {
            c.that(req.requiredApprovals() >= 1 && req.requiredApprovals() <= 5, "requiredApprovals",
                    "must be between 1 and 5");
        }
        c.notBlank(req.reason(), "reason");
        c.done();
        Channel ch = channel(modelId, name, true);
        int before = ch.requiredApprovals;
        ch.requiredApprovals = req.requiredApprovals();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("channel", ch.name);
        payload.put("modelId", modelId);
        payload.put("requiredApprovalsBefore", before);
        payload.put("requiredApprovals", ch.requiredApprovals);
        payload.put("reason", req.reason().trim());
        audit.append(actor, "channel.policy_set", "channel", ch.id, payload);
        return view(ch);
    }

    @Transactional
    public PolicyView approve(long modelId, String name, GovernanceDtos.ApprovalRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.present(req.versionId(), "versionId");
        c.notBlank(req.comment(), "comment");
        c.done();
        Channel ch = channel(modelId, name, false);
        HookVersion v = HookVersion.findById(req.versionId());
        if (v == null || !v.modelId.equals(modelId)) {
            throw ApiProblem.unprocessable("version " + req.versionId() + " is not a version of model " + modelId,
                    "versionId");
        }
        if (!Ancestry.servable(v)) {
            throw ApiProblem.unprocessable("version " + v.id + " is " + v.state
                    + " or has an ancestor that is not VALIDATED; only releasable versions can be approved", "versionId");
        }
        if (ReleaseApproval.count("channelId = ?1 and versionId = ?2 and approver = ?3", ch.id, v.id, actor) > 0) {
            throw ApiProblem.conflict("'" + actor + "' already approved version " + v.id + " for channel '" + name + "'");
        }
        ReleaseApproval a = new ReleaseApproval();
        a.channelId = ch.id;
        a.versionId = v.id;
        a.approver = actor;
        a.comment = req.comment().trim();
        a.approvedAt = Instant.now();
        a.persist();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("channel", ch.name);
        payload.put("modelId", modelId);
        payload.put("versionId", v.id);
        payload.put("comment", a.comment);
        audit.append(actor, "channel.approved", "channel", ch.id, payload);
        return view(ch);
    }

    private static PolicyView view(Channel ch) {
        return new PolicyView(ch.id, ch.name, ch.requiredApprovals,
                ReleaseApproval.<ReleaseApproval>list("channelId = ?1 order by approvedAt desc, id desc", ch.id)
                        .stream().map(GovernanceDtos.ApprovalView::of).toList());
    }

    private static Channel channel(long modelId, String name, boolean lock) {
        var q = Channel.<Channel>find("modelId = ?1 and name = ?2", modelId, name);
        Channel ch = lock ? q.withLock(LockModeType.PESSIMISTIC_WRITE).firstResult() : q.firstResult();
        if (ch == null) {
            ModelService.require(modelId);
            throw ApiProblem.notFound("channel", "'" + name + "' of model " + modelId);
        }
        return ch;
    }
}
