/* HTTP endpoint of issue 25 (safe releases): where a rollback of a channel would go, before anyone moves it. */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.channel.Channel;
import dev.hookline.registry.model.ModelService;
import dev.hookline.registry.version.HookVersion;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** Thin resource: the preview of a rollback without a target (current -> target, or why there is none). */
@Path("/api/models/{modelId}/channels/{name}/rollback-target")
@SecurityRequirement(name = "bearer")
public class RollbackTargetResource {

    @GET
    @Allow
    @Transactional
    public GovernanceDtos.ReleasePreview preview(@PathParam("modelId") String modelId, @PathParam("name") String name) {
        long model = Check.id(modelId, "modelId");
        Channel ch = Channel.find("modelId = ?1 and name = ?2", model, name).firstResult();
        if (ch == null) {
            ModelService.require(model);
            throw ApiProblem.notFound("channel", "'" + name + "' of model " + model);
        }
        HookVersion current = HookVersion.findById(ch.versionId);
        Long to = ReleaseHistory.rollbackTarget(ch);
        HookVersion target = to == null ? null : HookVersion.findById(to);
        return new GovernanceDtos.ReleasePreview(ch.name, current.id, current.number,
                target == null ? null : target.id, target == null ? null : target.number,
                target == null ? "no earlier servable version different from v" + current.number
                        + " in the release history" : null);
    }
}
