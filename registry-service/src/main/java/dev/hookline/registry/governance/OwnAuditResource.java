/* HTTP endpoint of issue 25: anyone reads the audit events they caused (a releaser their own moves). */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditEvent;
import dev.hookline.registry.audit.AuditResource;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.List;

/** {@code GET /api/audit/mine?limit=}: the caller's own events, newest first (at most 1000). */
@Path("/api/audit/mine")
@SecurityRequirement(name = "bearer")
public class OwnAuditResource {

    @Inject
    Caller caller;

    @GET
    @Allow
    @Transactional
    public List<AuditResource.EventView> mine(@QueryParam("limit") @DefaultValue("200") String limit) {
        int max;
        try {
            max = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            max = -1;
        }
        if (max < 1 || max > 1000) {
            throw ApiProblem.badRequest("limit must be an integer in [1, 1000]", "limit");
        }
        return AuditEvent.<AuditEvent>find("actor = ?1 order by seq desc", caller.principal()).page(0, max).list()
                .stream().map(e -> new AuditResource.EventView(e.id, e.seq, e.at, e.actor, e.action, e.entityType,
                        e.entityId, Json.tree(e.payload), e.prevHash.trim(), e.hash.trim(),
                        e.hmac == null ? null : e.hmac.trim())).toList();
    }
}
