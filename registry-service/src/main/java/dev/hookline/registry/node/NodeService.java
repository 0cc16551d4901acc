package dev.hookline.registry.node;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.model.BaseModel;
import dev.hookline.registry.node.NodeDtos.NodeView;
import dev.hookline.registry.version.HookVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/** Serving nodes: registration, heartbeats, "what runs where now" and "what ran at time T". */
@ApplicationScoped
public class NodeService {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    @Inject
    AuditLog audit;

    @Transactional
    public NodeView register(NodeDtos.RegisterRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.that(req.name() != null && NAME.matcher(req.name()).matches(), "name", "must match " + NAME.pattern());
        c.that(req.channel() == null || !req.channel().isBlank(), "channel", "must not be blank when given");
        RequestValidator.line(c, req.channel(), "channel", 64);
        RequestValidator.line(c, req.address(), "address", RequestValidator.MAX_ADDRESS);
        c.done();
        if (req.modelId() != null && BaseModel.findById(req.modelId()) == null) {
            throw ApiProblem.unprocessable("model " + req.modelId() + " does not exist", "modelId");
        }
        Instant now = Instant.now();
        // Parallel registrations of one new name: one INSERT creates the row, the others wait for
        // it (unique index) and re-register, as documented ("register or re-register by name").
        ServingNode.getEntityManager().createNativeQuery(
                "INSERT INTO serving_node (name, registered_by, registered_at, last_seen_at, status) "
                        + "VALUES (?1, ?2, ?3, ?3, ?4) ON CONFLICT (name) DO NOTHING")
                .setParameter(1, req.name()).setParameter(2, actor).setParameter(3, now)
                .setParameter(4, NodeDtos.NodeStatus.STARTING.name()).executeUpdate();
        ServingNode n = ServingNode.find("name", req.name()).withLock(LockModeType.PESSIMISTIC_WRITE).firstResult();
        n.modelId = req.modelId();
        n.channel = req.channel();
        n.address = req.address();
        n.registeredBy = actor;
        n.lastSeenAt = now;
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("name", n.name);
        payload.put("modelId", n.modelId == null ? 0 : n.modelId);
        payload.put("channel", n.channel == null ? "" : n.channel);
        payload.put("address", n.address == null ? "" : n.address);
        audit.append(actor, "node.registered", "node", n.id, payload);
        return NodeView.of(n);
    }

    @Transactional
    public NodeView heartbeat(long id, NodeDtos.HeartbeatRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.present(req.status(), "status");
        c.that(req.digest() == null || DIGEST.matcher(req.digest()).matches(), "digest", "must be sha256:<64 hex>");
        RequestValidator.text(c, req.message(), "message", RequestValidator.MAX_COMMENT);
        c.done();
        ServingNode n = ServingNode.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (n == null) {
            throw ApiProblem.notFound("node", id);
        }
        if (req.versionId() != null && HookVersion.findById(req.versionId()) == null) {
            throw ApiProblem.unprocessable("version " + req.versionId() + " does not exist", "versionId");
        }
        Instant now = Instant.now();
        n.lastSeenAt = now;
        String status = req.status().name();
        boolean changed = !Objects.equals(n.loadedVersionId, req.versionId()) || !Objects.equals(n.loadedDigest, req.digest())
                || !Objects.equals(n.status, status) || !Objects.equals(n.message, req.message());
        if (changed) {
            n.loadedVersionId = req.versionId();
            n.loadedDigest = req.digest();
            n.status = status;
            n.message = req.message();
            NodeReport r = new NodeReport();
            r.nodeId = n.id;
            r.reportedAt = now;
            r.loadedVersionId = req.versionId();
            r.loadedDigest = req.digest();
            r.status = status;
            r.message = req.message();
            r.persist();
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("versionId", req.versionId() == null ? 0 : req.versionId());
            payload.put("digest", req.digest() == null ? "" : req.digest());
            payload.put("status", status);
            payload.put("message", req.message() == null ? "" : req.message());
            audit.append(actor, "node.reported", "node", n.id, payload);
        }
        return NodeView.of(n);
    }

    @Transactional
    public List<NodeView> list(Long modelId) {
        List<ServingNode> nodes = modelId == null ? ServingNode.list("order by name")
                : ServingNode.list("modelId = ?1 order by name", modelId);
        return nodes.stream().map(NodeView::of).toList();
    }

    @Transactional
    public NodeDtos.History history(long id, int limit) {
        ServingNode n = require(id);
        return new NodeDtos.History(NodeView.of(n), NodeReport.<NodeReport>find("nodeId = ?1 order by reportedAt desc, id desc", id)
                .page(0, limit).list().stream().map(NodeDtos.ReportView::of).toList());
    }

    @Transactional
    public NodeDtos.PointInTime at(long id, Instant at) {
        ServingNode n = require(id);
        NodeReport r = NodeReport.find("nodeId = ?1 and reportedAt <= ?2 order by reportedAt desc, id desc", id, at)
                .firstResult();
        return new NodeDtos.PointInTime(n.id, n.name, at, r == null ? null : NodeDtos.ReportView.of(r));
    }

    private static ServingNode require(long id) {
        ServingNode n = ServingNode.findById(id);
        if (n == null) {
            throw ApiProblem.notFound("node", id);
        }
        return n;
    }
}
