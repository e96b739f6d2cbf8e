"""The SSH certificate issuer: the gate holds the keys (issue 15, SECURITY-MODEL principle 4).

Managed hosts trust one certificate authority (``TrustedUserCAKeys``) and accept
for their automation account only the principals their ``AuthorizedPrincipalsFile``
lists (the host's own name).  The CA's private key is read by one small root
daemon (``server``), reached over a Unix socket that names its caller
(``SO_PEERCRED``) and configured only from the root-owned trust file.  For a step
it loads the trusted store and registry itself, checks the signed request, the
approvals up to the step and who is asking (``policy``), and signs a short-lived
OpenSSH user certificate (``certs``) for an ephemeral key that lives only in memory
and in an ssh-agent (``agent``).  The gate task asks for it (``gatekeys``); `sop run`
gives every run its own agent.  Without a certificate Ansible cannot log in.

- ``certs``: the certificate's principals, lifetime and key id (pure).
- ``ask``: what a caller sends, signed with the operator's own key, and the framing.
- ``policy``: the issuer's decision for a step, a plan or a vendor (SOP 2.4).
- ``server``: the daemon (``python -m sop_runner.issuer serve``), its log.
- ``client``, ``agent``, ``gatekeys``: the caller's side.
"""
