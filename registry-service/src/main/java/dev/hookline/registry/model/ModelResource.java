package dev.hookline.registry.model;

import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import dev.hookline.registry.version.VersionDtos;
import dev.hookline.registry.version.VersionService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.List;

/** Base models. */
@Path("/api/models")
@SecurityRequirement(name = "bearer")
public class ModelResource {

    @Inject
    ModelService models;

    @Inject
    VersionService versionService;

    @Inject
    ModelBuildService builds;

    @Inject
    Caller caller;

    @POST
    @Allow(Role.ADMIN)
    public Response register(ModelService.RegisterModelRequest req) {
        return Response.status(201).entity(models.register(req, caller.principal())).build();
    }

    @GET
    @Allow
    public List<ModelService.ModelView> list() {
        return models.list();
    }

    @GET
    @Path("/{id}")
    @Allow
    public ModelService.ModelView get(@PathParam("id") String id) {
        return models.get(Check.id(id, "id"));
    }

    /** The model's hook versions (its lineage tree: each names its parent; null = version 0). */
    @GET
    @Path("/{id}/versions")
    @Allow
    public List<VersionDtos.VersionView> versions(@PathParam("id") String id) {
        return versionService.listByModel(Check.id(id, "id"));
    }

    @PUT
    @Path("/{id}/stats")
    @Allow({Role.WORKER, Role.ADMIN})
    public ModelService.ModelView stats(@PathParam("id") String id, ModelService.StatsRequest req) {
        return models.attachStats(Check.id(id, "id"), req, caller.principal());
    }

    /**
     * Sets the model's edit defaults for one method (what a batch on this model takes where it names nothing,
     * e.g. the threshold chosen on the model's own dev stream); batches already submitted keep theirs.
     */
    @PUT
    @Path("/{id}/edit-defaults")
    @Allow(Role.ADMIN)
    public ModelService.ModelView editDefaults(@PathParam("id") String id, ModelService.EditDefaultsRequest req) {
        return models.setEditDefaults(Check.id(id, "id"), req, caller.principal());
    }

    /** Models being built (pretrained) before registration, with their progress. */
    @GET
    @Path("/builds")
    @Allow
    public List<ModelBuildService.BuildView> builds() {
        return builds.list();
    }

    /** The building worker reports status and progress of a model build. */
    @PUT
    @Path("/builds/{name}")
    @Allow({Role.WORKER, Role.ADMIN})
    public ModelBuildService.BuildView reportBuild(@PathParam("name") String name, ModelBuildService.BuildReport req) {
        return builds.report(name, req, caller.principal());
    }
}
