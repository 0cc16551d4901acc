package dev.hookline.registry.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import jakarta.persistence.OptimisticLockException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.hibernate.StaleObjectStateException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.List;

/**
 * The one place that turns exceptions into {@code application/problem+json}. Bad input of any
 * kind (malformed JSON, wrong types, unknown enum values, unparsable ids) is a 4xx; only a bug is
 * a 500, and it is logged.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return respond(e.toProblem());
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        Response.StatusType type = Response.Status.fromStatusCode(status);
        String title = type == null ? "HTTP " + status : type.getReasonPhrase();
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException jpe) {
            return json(jpe);
        }
        return respond(new Problem("urn:hookline:problem:http-" + status, title, status,
                e.getMessage() == null ? title : e.getMessage(), List.of()));
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response invalidFormat(InvalidFormatException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response instantiation(ValueInstantiationException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response mapping(JsonMappingException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response parse(JsonParseException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response processing(JsonProcessingException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response optimisticLock(OptimisticLockException e) {
        return respond(ApiProblem.conflict("the resource was changed concurrently; reload and retry").toProblem());
    }

    @ServerExceptionMapper
    public Response stale(StaleObjectStateException e) {
        return respond(ApiProblem.conflict("the resource was changed concurrently; reload and retry").toProblem());
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        ApiProblem nested = find(e, ApiProblem.class);
        if (nested != null) {
            return apiProblem(nested);
        }
        if (find(e, OptimisticLockException.class) != null || find(e, StaleObjectStateException.class) != null) {
            return optimisticLock(null);
        }
        LOG.error("unexpected failure", e);
        return respond(new Problem("urn:hookline:problem:internal", "Internal error", 500,
                "the registry failed to handle this request; see its log", List.of()));
    }

    /** A JSON body that does not parse or does not fit the request type: 400 naming the field. */
    private static Response json(JsonProcessingException e) {
        ApiProblem nested = find(e, ApiProblem.class);
        if (nested != null) {
            return respond(nested.toProblem());
        }
        String field = "body";
        if (e instanceof JsonMappingException jme && !jme.getPath().isEmpty()) {
            field = path(jme.getPath());
        }
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        // Jackson's messages may carry a long source excerpt; the first line says enough.
        int nl = detail.indexOf('\n');
        if (nl > 0) {
            detail = detail.substring(0, nl);
        }
        String kind = e instanceof JsonParseException ? "malformed JSON" : "request body does not fit";
        return respond(new Problem("urn:hookline:problem:bad-json", "Bad request", 400,
                kind + ": " + detail, List.of(new Problem.FieldError(field, detail))));
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** Builds the problem response. */
    public static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }
}
