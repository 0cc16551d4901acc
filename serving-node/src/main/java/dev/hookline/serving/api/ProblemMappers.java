/*
 * The one place that turns exceptions into application/problem+json (Quarkus REST
 * @ServerExceptionMapper): bad input of any kind is a 4xx naming the field; only a bug is a 500,
 * and it is logged. Follows the registry's mapper (registry-service api/ProblemMappers).
 */
package dev.hookline.serving.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Exception mappers of the node's HTTP API. */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return respond(e.problem());
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException jpe) {
            return json(jpe);
        }
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        Response.StatusType type = Response.Status.fromStatusCode(status);
        String title = type == null ? "HTTP " + status : type.getReasonPhrase();
        return respond(new Problem("urn:hookline:problem:http-" + status, title, status,
                e.getMessage() == null ? title : e.getMessage(), List.of()));
    }

    // Quarkus ships mappers for some Jackson subtypes; the most specific mapper wins, so each is named.
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
    public Response unexpected(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApiProblem p) {
                return respond(p.problem());
            }
            if (t instanceof JsonProcessingException jpe) {
                return json(jpe);
            }
        }
        LOG.error("unexpected failure", e);
        return respond(new Problem("urn:hookline:problem:internal", "Internal error", 500,
                "the serving node failed to handle this request; see its log", List.of()));
    }

    private static Response json(JsonProcessingException e) {
        String field = "body";
        if (e instanceof JsonMappingException jme && !jme.getPath().isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (JsonMappingException.Reference r : jme.getPath()) {
                if (r.getFieldName() != null) {
                    b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    b.append('[').append(r.getIndex()).append(']');
                }
            }
            field = b.toString();
        }
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        int nl = detail.indexOf('\n');
        if (nl > 0) {
            detail = detail.substring(0, nl); // Jackson may append a long source excerpt
        }
        String kind = e instanceof JsonParseException ? "malformed JSON" : "request body does not fit";
        return respond(new Problem("urn:hookline:problem:bad-json", "Bad request", 400, kind + ": " + detail,
                List.of(new Problem.FieldError(field, detail))));
    }

    static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }
}
