package dev.hookline.registry.audit;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Role;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.time.Instant;
import java.util.List;

/** Reading and verifying the audit log. */
@Path("/api/audit")
@SecurityRequirement(name = "bearer")
public class AuditResource {

    @Inject
    AuditLog audit;

    /** One audit event as listed. */
    public record EventView(long id, long seq, Instant at, String actor, String action, String entityType,
                            String entityId, JsonNode payload, String prevHash, String hash, String hmac) {
    }

    @GET
    @Allow({Role.ADMIN, Role.REVIEWER})
    @Transactional
    public List<EventView> list(@QueryParam("afterSeq") @DefaultValue("0") String afterSeq,
                                @QueryParam("limit") @DefaultValue("100") String limit) {
        long after = parse(afterSeq, "afterSeq", 0, Long.MAX_VALUE);
        int max = (int) parse(limit, "limit", 1, 1000);
        return AuditEvent.<AuditEvent>find("seq > ?1 order by seq", after).page(0, max).list().stream()
                .map(e -> new EventView(e.id, e.seq, e.at, e.actor, e.action, e.entityType, e.entityId,
                        Json.tree(e.payload), e.prevHash.trim(), e.hash.trim(), e.hmac == null ? null : e.hmac.trim()))
                .toList();
    }

    @GET
    @Path("/verify")
    @Allow({Role.ADMIN, Role.REVIEWER, Role.RELEASER})
    public AuditLog.Verification verify() {
        return audit.verify();
    }

    static long parse(String value, String name, long min, long max) {
        try {
            long v = Long.parseLong(value);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw ApiProblem.badRequest(name + " must be an integer in [" + min + ", " + max + "]", name);
    }
}
