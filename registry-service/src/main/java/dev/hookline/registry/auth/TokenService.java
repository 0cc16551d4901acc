package dev.hookline.registry.auth;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Digests;
import dev.hookline.registry.audit.AuditLog;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Issues, looks up and revokes API tokens; installs the bootstrap admin token at start. */
@ApplicationScoped
public class TokenService {

    private static final Logger LOG = Logger.getLogger(TokenService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    AuditLog audit;

    @Inject
    dev.hookline.registry.job.JobService leases;

    @ConfigProperty(name = "hookline.admin-token")
    Optional<String> adminToken;

    @ConfigProperty(name = "hookline.admin-principal", defaultValue = "admin")
    String adminPrincipal;

    /** Principal and roles of an active token, or empty. */
    public record Identity(long tokenId, String principal, Set<Role> roles) {
    }

    /** Token as listed (never its value). */
    public record TokenView(long id, String principal, List<Role> roles, Instant createdAt, String createdBy,
                            Instant revokedAt) {
        static TokenView of(ApiToken t) {
            return new TokenView(t.id, t.principal, List.copyOf(t.roleSet()), t.createdAt, t.createdBy, t.revokedAt);
        }
    }

    /** A newly created token; {@code token} is shown this once and never again. */
    public record IssuedToken(long id, String principal, List<Role> roles, String token, Instant createdAt) {
    }

    /** Request to create a token. */
    public record CreateTokenRequest(String principal, List<Role> roles) {
    }

    void onStart(@Observes StartupEvent event) {
        adminToken.filter(t -> !t.isBlank()).ifPresent(this::installAdminToken);
    }

    @Transactional
    void installAdminToken(String value) {
        String hash = Digests.sha256Hex(value);
        if (ApiToken.count("tokenHash", hash) > 0) {
            return;
        }
        ApiToken t = new ApiToken();
        t.principal = Principals.normalize(adminPrincipal, "hookline.admin-principal");
        t.roles = Role.ADMIN.name();
        t.tokenHash = hash;
        t.createdAt = Instant.now();
        t.createdBy = "bootstrap";
        t.persist();
        audit.append("bootstrap", "token.created", "token", t.id, Map.of("principal", t.principal, "roles", t.roles));
        LOG.infof("installed the bootstrap admin token for principal '%s'", adminPrincipal);
    }

    @Transactional
    public Optional<Identity> authenticate(String tokenValue) {
        ApiToken t = ApiToken.findActiveByHash(Digests.sha256Hex(tokenValue));
        return Optional.ofNullable(t).map(x -> new Identity(x.id, x.principal, x.roleSet()));
    }

    @Transactional
    public IssuedToken create(CreateTokenRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.that(req.roles() != null && !req.roles().isEmpty(), "roles", "at least one role is required");
        if (req.roles() != null) {
            for (int i = 0; i < req.roles().size(); i++) {
                c.present(req.roles().get(i), "roles[" + i + "]");
            }
        }
        c.done();
        String principal = Principals.normalize(req.principal(), "principal");
        Set<Role> roles = EnumSet.copyOf(req.roles());
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String value = "hl_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        ApiToken t = new ApiToken();
        t.principal = principal;
        t.roles = roles.stream().map(Enum::name).collect(Collectors.joining(","));
        t.tokenHash = Digests.sha256Hex(value);
        t.createdAt = Instant.now();
        t.createdBy = actor;
        t.persist();
        audit.append(actor, "token.created", "token", t.id, Map.of("principal", t.principal, "roles", t.roles));
        return new IssuedToken(t.id, t.principal, List.copyOf(roles), value, t.createdAt);
    }

    @Transactional
    public List<TokenView> list() {
        return ApiToken.<ApiToken>listAll().stream().map(TokenView::of).toList();
    }

    @Transactional
    public TokenView revoke(long id, String actor) {
        ApiToken t = ApiToken.findById(id);
        if (t == null) {
            throw ApiProblem.notFound("token", id);
        }
        if (t.revokedAt == null) {
            t.revokedAt = Instant.now();
            audit.append(actor, "token.revoked", "token", t.id, Map.of("principal", t.principal));
            leases.releaseLeasesOf(t.id, actor);
        }
        return TokenView.of(t);
    }
}
