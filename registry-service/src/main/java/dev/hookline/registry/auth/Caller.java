package dev.hookline.registry.auth;

import jakarta.enterprise.context.RequestScoped;

import java.util.EnumSet;
import java.util.Set;

/** The authenticated principal of the current request, set by {@link AuthFilter}. */
@RequestScoped
public class Caller {

    private String principal;
    private long tokenId;
    private Set<Role> roles = EnumSet.noneOf(Role.class);

    void set(long tokenId, String principal, Set<Role> roles) {
        this.tokenId = tokenId;
        this.principal = principal;
        this.roles = roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles);
    }

    /** The principal name the token was issued to (the audit actor). */
    public String principal() {
        return principal;
    }

    /** Id of the token this request authenticated with. */
    public long tokenId() {
        return tokenId;
    }

    public Set<Role> roles() {
        return Set.copyOf(roles);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
