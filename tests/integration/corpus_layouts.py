"""The layouts of the healthy corpus: main.cf/master.cf as real installations
ship them, each with the traffic such a host carries.

Sources (what each file is made from):
- Debian 12's postfix package, as its postinst writes them:
  /usr/share/postfix/main.cf.debian (+ main.cf.tls) and the debconf answers
  of "Internet Site" / "Satellite system" (postconf -e lines of
  /var/lib/dpkg/info/postfix.postinst), /usr/share/postfix/master.cf.dist.
  Read from the installed package at test time.
- Postfix's STANDARD_CONFIGURATION_README (null client), POSTSCREEN_README
  (postscreen MX), SASL_README (Dovecot SASL), FILTER_README and
  amavisd-new's Postfix integration (content filter with re-injection).
- docker-mailserver's target/postfix/main.cf and master.cf
  (tests/fixtures/corpus/docker-mailserver/, provenance in its README).

Adaptations, the same for every layout (CorpusHost.private_instance): own
queue_directory/data_directory and maillog_file so that the instance runs
next to the host's Postfix; files a layout names under /etc are written into
the instance's directory. Each layout lists its own on top.
"""
import os

import corpus
from corpus import CORPUS_ZONE, uncomment_master_block

DEBIAN_SHARE = "/usr/share/postfix"
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures", "corpus")


def _read(path):
    with open(path) as f:
        return f.read()


def debian_main_cf(host, mailer, mailname, destinations, relayhost="",
                   mynetworks="127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128"):
    """main.cf as Debian 12's postinst writes it for a debconf answer
    ("Internet Site", "Satellite system"), with the snakeoil TLS lines
    pointing at the test certificate and /etc files inside the instance."""
    key, cert = corpus.test_certificate()
    tls = _read(os.path.join(DEBIAN_SHARE, "main.cf.tls"))
    tls = tls.replace("/etc/ssl/certs/ssl-cert-snakeoil.pem", cert)
    tls = tls.replace("/etc/ssl/private/ssl-cert-snakeoil.key", key)
    host.write("etc/main.cf", _read(os.path.join(DEBIAN_SHARE, "main.cf.debian")) + tls)
    host.write("etc/mailname", mailname + "\n")
    host.write("etc/aliases", "postmaster: root\n")
    host.postconf("-e", "smtpd_relay_restrictions=permit_mynetworks "
                        "permit_sasl_authenticated defer_unauth_destination")
    host.set(myhostname="mail." + mailname,
             alias_maps="hash:" + host.path("etc/aliases"),
             alias_database="hash:" + host.path("etc/aliases"),
             myorigin=host.path("etc/mailname"),
             mydestination=destinations, relayhost=relayhost, mynetworks=mynetworks,
             mailbox_size_limit="0", recipient_delimiter="+",
             inet_interfaces="loopback-only" if mailer == "Satellite system" else "all",
             inet_protocols="all")
    # Local mailboxes of the instance (mail_spool_directory, like /var/mail).
    os.makedirs(host.path("mail"), exist_ok=True)
    os.chmod(host.path("mail"), 0o1777)
    host.set(mail_spool_directory=host.path("mail"))


def debian_master_cf(host, enable=(), disable_smtp=False, postscreen=False):
    text = _read(os.path.join(DEBIAN_SHARE, "master.cf.dist"))
    for prefix in enable:
        text = uncomment_master_block(text, prefix)
    if postscreen or disable_smtp:
        text = text.replace("\nsmtp      inet  n       -       y       -       -       smtpd",
                            "\n#smtp      inet  n       -       y       -       -       smtpd")
    if postscreen:
        for prefix in ("smtp      inet  n       -       y       -       1       postscreen",
                       "smtpd     pass", "dnsblog   unix", "tlsproxy  unix"):
            text = uncomment_master_block(text, prefix)
    host.write("etc/master.cf", text)


def dovecot_sasl(host):
    """Postfix SASL_README, "Dovecot SASL": smtpd asks Dovecot over
    private/auth (relative to the queue directory, so chrooted smtpd works)."""
    host.set(smtpd_sasl_type="dovecot", smtpd_sasl_path="private/auth")


def virtual_mailboxes(host, domain):
    """Maildir delivery by virtual(8) for every address of `domain`."""
    base = host.path("vmail")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o1777)
    host.set(virtual_mailbox_domains=domain, virtual_mailbox_base=base,
             virtual_mailbox_maps="static:mailbox/", virtual_uid_maps="static:65534",
             virtual_gid_maps="static:65534")


class Layout:
    """name; `delivers`: delivery agents that must report status=sent;
    `role`: what the exporter must call the host."""
    name = ""
    role = "mx"
    delivers = ()
    traffic_every = 4.0  # seconds between rounds of mail

    def configure(self, host):
        raise NotImplementedError

    def start(self, host):
        host.start_dns()
        host.start_postfix()

    def exporter_log_yaml(self, host):
        """The log collector's settings beside start_at (None: the
        instance's log file, source auto)."""
        return None

    def traffic(self, host, hub):
        """One round of mail (runs repeatedly while the test lasts)."""


def debian_internet_site(host, label, enable=()):
    """The stock Debian "Internet Site" answers for LABEL.<zone> (its own
    final destination) with the stock master.cf, `enable` uncommented."""
    domain = label + "." + CORPUS_ZONE
    debian_main_cf(host, "Internet Site", domain,
                   "$myhostname, %s, localhost.localdomain, localhost" % domain)
    debian_master_cf(host, enable=enable)


# --- the layouts --------------------------------------------------------------

class DebianInternetSite(Layout):
    """Debian 12 "Internet Site" with the stock master.cf's submission and
    submissions blocks uncommented ("open 587"), Dovecot SASL, chrooted smtp
    and smtpd (Debian's default), local delivery to /var/mail-style mboxes."""
    name = "debian12-internet-site"
    delivers = ("smtp", "local")

    def configure(self, host):
        debian_internet_site(host, "debian", enable=("submission inet", "submissions     inet"))
        dovecot_sasl(host)

    def start(self, host):
        super().start(host)
        host.start_dovecot(os.path.join(host.spool, "private", "auth"))

    def traffic(self, host, hub):
        hub.smtp_source(host, 25, "nobody@debian." + CORPUS_ZONE, count=2)
        hub.submit(host, 587, "starttls", "user@remote1." + CORPUS_ZONE)
        hub.submit(host, 465, "implicit", "user@remote2." + CORPUS_ZONE)


class NullClient(Layout):
    """STANDARD_CONFIGURATION_README's null client on a Debian 12 install:
    sends only, to the mail server of its domain; no local delivery, nothing
    listens for other hosts."""
    name = "null-client"
    role = "null_client"
    delivers = ("smtp",)

    def configure(self, host):
        debian_main_cf(host, "Internet Site", "nc." + CORPUS_ZONE,
                       "$myhostname, localhost.localdomain, localhost")
        debian_master_cf(host)
        host.set(myhostname="host.nc." + CORPUS_ZONE, myorigin="$mydomain",
                 relayhost="$mydomain", inet_interfaces="loopback-only", mydestination="")

    def traffic(self, host, hub):
        hub.sendmail(host, "alerts@remote3." + CORPUS_ZONE)


class DebianSatelliteSmarthost(Layout):
    """Debian 12 "Satellite system": everything to the provider's smarthost
    on port 587 with SASL (smtp_sasl_auth_enable and a password map, as the
    usual how-tos add). Adapted: smtp_tls_security_level = may (the test's
    smarthost, smtp-sink, offers no STARTTLS; a real one gets encrypt)."""
    name = "debian12-satellite-smarthost"
    role = "null_client"
    delivers = ("smtp",)

    def configure(self, host):
        debian_main_cf(host, "Satellite system", "sat." + CORPUS_ZONE,
                       "$myhostname, localhost.localdomain, localhost",
                       relayhost="[smtp.provider.%s]:587" % CORPUS_ZONE)
        debian_master_cf(host)
        host.write("etc/sasl_passwd", "[smtp.provider.%s]:587 user:secret\n" % CORPUS_ZONE,
                   mode=0o600)
        host.run_ns(["postmap", host.path("etc/sasl_passwd")])
        host.set(smtp_sasl_auth_enable="yes",
                 smtp_sasl_password_maps="hash:" + host.path("etc/sasl_passwd"),
                 smtp_sasl_security_options="noanonymous", smtp_tls_security_level="may")

    def traffic(self, host, hub):
        hub.sendmail(host, "ops@remote4." + CORPUS_ZONE)


class PostscreenMX(Layout):
    """An inbound MX per POSTSCREEN_README (postscreen with DNSBL scoring in
    front of smtpd) with RBL checks in smtpd_recipient_restrictions, virtual
    mailboxes for its domain."""
    name = "postscreen-rbl-mx"
    delivers = ("virtual",)

    def configure(self, host):
        domain = "mx." + CORPUS_ZONE
        debian_main_cf(host, "Internet Site", domain,
                       "$myhostname, localhost.localdomain, localhost")
        debian_master_cf(host, postscreen=True)
        virtual_mailboxes(host, domain)
        host.set(postscreen_access_list="permit_mynetworks",
                 postscreen_dnsbl_sites="zen.spamhaus.org*3 bl.spamcop.net*2 "
                                        "b.barracudacentral.org*2",
                 postscreen_dnsbl_threshold="3", postscreen_dnsbl_action="enforce",
                 postscreen_greet_action="enforce",
                 smtpd_recipient_restrictions="permit_mynetworks, reject_unauth_destination, "
                                              "reject_rbl_client zen.spamhaus.org, "
                                              "reject_rhsbl_sender dbl.spamhaus.org")

    def traffic(self, host, hub):
        hub.smtp_source(host, 25, "user@mx." + CORPUS_ZONE, count=3)


class AmavisContentFilter(Layout):
    """Debian 12 with amavisd-new as content filter, wired as its Postfix
    integration (and FILTER_README's advanced content filter) does:
    content_filter = smtp-amavis:[127.0.0.1]:10024, re-injection through a
    127.0.0.1:10025 smtpd without filtering."""
    name = "amavis-content-filter"
    delivers = ("smtp", "virtual")

    def configure(self, host):
        domain = "filtered." + CORPUS_ZONE
        debian_main_cf(host, "Internet Site", domain,
                       "$myhostname, localhost.localdomain, localhost")
        debian_master_cf(host)
        virtual_mailboxes(host, domain)
        host.set(content_filter="smtp-amavis:[127.0.0.1]:10024")
        with open(host.path("etc/master.cf"), "a") as f:
            f.write(AMAVIS_MASTER_CF)

    def start(self, host):
        super().start(host)
        host.start_amavis()

    def traffic(self, host, hub):
        hub.smtp_source(host, 25, "user@filtered." + CORPUS_ZONE, count=2)
        hub.sendmail(host, "partner@remote5." + CORPUS_ZONE)


AMAVIS_MASTER_CF = """
smtp-amavis unix -      -       n       -       2       smtp
  -o smtp_data_done_timeout=1200
  -o smtp_send_xforward_command=yes
  -o disable_dns_lookups=yes
  -o max_use=20
127.0.0.1:10025 inet n  -       n       -       -       smtpd
  -o content_filter=
  -o local_recipient_maps=
  -o relay_recipient_maps=
  -o smtpd_restriction_classes=
  -o smtpd_delay_reject=no
  -o smtpd_client_restrictions=permit_mynetworks,reject
  -o smtpd_helo_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o smtpd_data_restrictions=reject_unauth_pipelining
  -o smtpd_end_of_data_restrictions=
  -o mynetworks=127.0.0.0/8
  -o smtpd_error_sleep_time=0
  -o smtpd_soft_error_limit=1001
  -o smtpd_hard_error_limit=1000
  -o smtpd_client_connection_count_limit=0
  -o smtpd_client_connection_rate_limit=0
  -o receive_override_options=no_header_body_checks,no_unknown_recipient_checks
"""


class SubmissionOnly(Layout):
    """A submission server for a domain's users: port 25 commented out in
    Debian's master.cf, submission (587) with Dovecot SASL, mail out by MX."""
    name = "submission-only"
    role = "submission"
    delivers = ("smtp",)

    def configure(self, host):
        debian_main_cf(host, "Internet Site", "submit." + CORPUS_ZONE,
                       "$myhostname, localhost.localdomain, localhost")
        debian_master_cf(host, enable=("submission inet",), disable_smtp=True)
        dovecot_sasl(host)

    def start(self, host):
        super().start(host)
        host.start_dovecot(os.path.join(host.spool, "private", "auth"))

    def traffic(self, host, hub):
        hub.submit(host, 587, "starttls", "user@remote6." + CORPUS_ZONE)


class QuietServer(Layout):
    """Debian 12 "Internet Site" on which nothing happens while the test
    runs: no mail, no log line."""
    name = "debian12-quiet"
    delivers = ()

    def configure(self, host):
        debian_internet_site(host, "quiet")


class DockerMailserver(Layout):
    """docker-mailserver v15.1.0 (Debian 12) with its defaults: postscreen
    with DNSBL scoring, Dovecot SASL on submission/smtps and LMTP delivery,
    amavisd-new as content filter (re-injection on 127.0.0.1:10025),
    policyd-spf. Replayed from its startup scripts: myhostname/mydomain,
    virtual_mailbox_maps + virtual_transport (postfix.sh), content_filter
    and its master.cf services (security/misc.sh), the policyd-spf service and
    restriction (dmarc_dkim_spf.sh), SPOOF_PROTECTION=0 (spoofing.sh). Adapted: paths of /etc/postfix, the Dovecot sockets
    and the TLS certificate moved into the instance; no dhparams file (Postfix
    uses its built-in group); OpenDKIM/OpenDMARC off (ENABLE_OPENDKIM=0,
    ENABLE_OPENDMARC=0: no milters)."""
    name = "docker-mailserver"
    delivers = ("smtp", "lmtp")

    def configure(self, host):
        src = os.path.join(FIXTURES, "docker-mailserver")
        domain = "dms." + CORPUS_ZONE
        main = _read(os.path.join(src, "main.cf"))
        # setup.d/dmarc_dkim_spf.sh: SPF policy after reject_unauth_destination.
        main = main.replace("reject_unauth_destination, reject_invalid_helo_hostname",
                            "reject_unauth_destination, check_policy_service "
                            "unix:private/policyd-spf, reject_invalid_helo_hostname", 1)
        key, cert = corpus.test_certificate()
        main = main.replace("/etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/"
                            "ssl-cert-snakeoil.pem", "%s %s" % (key, cert))
        host.write("etc/main.cf", main)
        # setup.d/security/misc.sh appends the amavis services,
        # dmarc_dkim_spf.sh the policyd-spf service.
        host.write("etc/master.cf", _read(os.path.join(src, "master.cf"))
                   + _read(os.path.join(src, "postfix-amavis.cf")) + """
policyd-spf    unix  -       n       n       -       0       spawn
    user=policyd-spf argv=/usr/bin/policyd-spf
""")
        host.write("etc/maps/sender_header_filter.pcre",
                   _read(os.path.join(src, "sender_header_filter.pcre")))
        host.write("etc/maps/header_checks.pcre", "")
        host.write("etc/vhost", domain + "\n")
        host.write("etc/vmailbox", "user@%s %s/user/\n" % (domain, domain))
        host.write("etc/virtual", "")
        host.write("etc/aliases", "postmaster: root\n")
        etc = host.path("etc")
        for name in ("main.cf", "master.cf"):
            p = os.path.join(etc, name)
            text = _read(p).replace("/etc/postfix/", etc + "/").replace(
                "hash:/etc/aliases", "hash:" + os.path.join(etc, "aliases"))
            with open(p, "w") as f:
                f.write(text)
        host.postconf("-X", "smtpd_tls_dh1024_param_file")
        host.set(myhostname="mail." + domain, mydomain=domain,
                 smtpd_sasl_path=host.path("sasl-auth.sock"),
                 virtual_mailbox_maps="texthash:" + os.path.join(etc, "vmailbox"),
                 virtual_transport="lmtp:unix:" + host.path("dovecot", "lmtp"),
                 content_filter="smtp-amavis:[127.0.0.1]:10024",
                 # security/spoofing.sh with SPOOF_PROTECTION=0 (the default).
                 mua_sender_restrictions="$dms_smtpd_sender_restrictions",
                 **{"policyd-spf_time_limit": "3600"})

    def start(self, host):
        host.start_dns()
        host.run_ns(["postalias", "-c", host.etc, host.path("etc", "aliases")])
        host.start_postfix()
        host.start_dovecot(host.path("sasl-auth.sock"), host.path("dovecot", "lmtp"))
        host.start_amavis()

    def traffic(self, host, hub):
        hub.smtp_source(host, 25, "user@dms." + CORPUS_ZONE, count=2)
        hub.submit(host, 587, "starttls", "friend@remote7." + CORPUS_ZONE)
        hub.submit(host, 465, "implicit", "friend@remote8." + CORPUS_ZONE)


class JournalOnly(Layout):
    """Debian 12 "Internet Site" without rsyslog: Postfix logs to the
    journal only, there is no /var/log/mail.log. The exporter is left on
    `source: auto` with the default path absent; it must find the journal."""
    name = "debian12-journal-only"
    delivers = ("smtp", "local")

    def configure(self, host):
        debian_internet_site(host, "journal")

    def start(self, host):
        super().start(host)
        host.forward_log_to_journal(host.path("journal"))

    def exporter_log_yaml(self, host):
        return ("    path: %s\n    journal_directory: %s\n    auto_interval: 2s\n"
                % (host.path("no-mail.log"), host.path("journal")))

    def traffic(self, host, hub):
        hub.smtp_source(host, 25, "nobody@journal." + CORPUS_ZONE)
        hub.sendmail(host, "cron@remote9." + CORPUS_ZONE)


LAYOUTS = [DebianInternetSite(), NullClient(), DebianSatelliteSmarthost(), PostscreenMX(),
           AmavisContentFilter(), DockerMailserver(), SubmissionOnly(), QuietServer(),
           JournalOnly()]
