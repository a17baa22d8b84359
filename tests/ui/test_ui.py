#!/usr/bin/env python3
"""c2c ui in a real browser: headless Chromium driven by Selenium.

An officer's session that never touches the command line: log in by the
printed URL, add an action with a validation error first, edit it, write a
profile section in Arabic (right to left), sync through a hub (once over a
slow link: sshd behind scripts/netproxy, the progress seen as it goes, then
the result), resolve a
conflict that a second node made, upload a CSV with one bad row and see it
listed, switch the interface to French and to Arabic. The second node and
the hub are made with the CLI, as another office would. Screenshots of each
page go to $C2C_UI_SHOTS (default: ./ui-shots); a person looks at them.

Exit 77 (skipped) only when chromium or chromedriver is not installed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/lib/chromium/chromedriver" if os.path.exists("/usr/lib/chromium/chromedriver") else None)
if not CHROMIUM or not DRIVER:
    print("chromium or chromedriver is not installed (scripts/deps installs them): skipped")
    sys.exit(77)
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    # Debian's python3-selenium is for Debian's python3.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

C2C = os.environ.get("C2C") or sys.exit("set C2C to the c2c binary")
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("C2C_SOURCE_DIR") or os.path.join(HERE, "..", "..")
SHOTS = os.environ.get("C2C_UI_SHOTS") or os.path.join(os.getcwd(), "ui-shots")
os.makedirs(SHOTS, exist_ok=True)

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def c2c(*args, ok=True):
    p = subprocess.run([C2C, *args], capture_output=True, text=True, env=env)
    if ok and p.returncode != 0:
        raise RuntimeError("c2c %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
    return p.stdout


tmp = tempfile.mkdtemp(prefix="c2c-ui-")
env = dict(os.environ, C2C_PROGRESS="0")
env.pop("C2C_DIR", None)
server = None
driver = None
others = []  # the office's and the second city's servers
proxy = None
sshd_pid = None


def start_sshd(d):
    """A throwaway sshd on loopback, as the CLI tests start it
    (tests/cli/sshd-lib.sh): (port, user, authorized_keys, host key .pub)."""
    script = ('. "$1/lib.sh"; . "$1/sshd-lib.sh"; sshd_start "$2" >&2 || exit 1; trap - EXIT HUP INT TERM; '
              'rm -rf "$T"; echo "$SSHD_PORT $SSHD_USER $SSHD_AUTHORIZED_KEYS $SSHD_HOSTKEY_PUB"')
    p = subprocess.run(["bash", "-c", script, "sshd", os.path.join(SRC, "tests", "cli"), d], capture_output=True,
                       text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError("sshd did not start: " + p.stderr)
    return p.stdout.split()


try:
    os.chdir(tmp)
    c2c("hub", "init", "hub.git")
    c2c("init", "a", "--city", "tunis", "--user", "Amina Ben Ali <amina@tunis.example>")
    c2c("init", "b", "--city", "tunis", "--user", "Bilel Trabelsi <bilel@tunis.example>")
    c2c("-C", "a", "remote", "add", "hub", os.path.join(tmp, "hub.git"))
    c2c("-C", "b", "remote", "add", "hub", os.path.join(tmp, "hub.git"))

    server_log = open(os.path.join(SHOTS, "server.log"), "w")  # what the server says, kept beside the shots
    server = subprocess.Popen([C2C, "-C", "a", "ui", "--no-browser"], stdout=subprocess.PIPE,
                              stderr=server_log, text=True, env=env)
    url = server.stdout.readline().strip()
    check(url.startswith("http://127.0.0.1:") and "/login?token=" in url, "the first line is the login URL: " + url)
    base = url.split("/login")[0]

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=1280,1000", "--user-data-dir=" + os.path.join(tmp, "chrome"),
              "--lang=en-US"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"download.default_directory": os.path.join(tmp, "downloads")})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    d = driver

    def shot(name):
        # The whole page: the window grows to its height first.
        h = d.execute_script("return Math.max(document.body.scrollHeight, 800)")
        d.set_window_size(1280, min(int(h) + 40, 4000))
        d.save_screenshot(os.path.join(SHOTS, name + ".png"))
        d.set_window_size(1280, 1000)

    def css(sel):
        return d.find_element(By.CSS_SELECTOR, sel)

    def submit(el):
        """Click a submit button and wait for the next page (a click does not
        wait for the POST it starts)."""
        html = d.find_element(By.TAG_NAME, "html")
        el.click()

        def gone(x):
            # chromedriver may answer for a page being replaced with "Node
            # with given id does not belong to the document" rather than a
            # stale element: both mean the old page is gone.
            try:
                return EC.staleness_of(html)(x)
            except WebDriverException:
                return True

        WebDriverWait(d, 60).until(gone)
        WebDriverWait(d, 60).until(lambda x: x.execute_script("return document.readyState") == "complete")

    def csss(sel):
        return d.find_elements(By.CSS_SELECTOR, sel)

    def progress():
        """The sync's block as the page shows it now: state, remote, seconds."""
        return d.execute_script("var e = document.getElementById('sync-progress'), s = e && e.querySelector('.secs');"
                                "return e ? [e.getAttribute('data-state'), e.getAttribute('data-remote'),"
                                " s ? s.textContent : ''] : [null, null, null];")

    def sync_now(remote):
        """Start a sync on the sync page and wait for its result (the page
        follows the sync, then shows how it went)."""
        d.get(base + "/sync")
        submit(css("tr[data-remote=%s] button" % remote))
        WebDriverWait(d, 90).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "#sync-result, #sync-error")) > 0)
        WebDriverWait(d, 30).until(lambda x: x.execute_script("return document.readyState") == "complete")

    def status_of_page():
        return d.execute_script("return document.documentElement.getAttribute('lang') + ' ' + "
                                "document.documentElement.getAttribute('dir')")

    # --- without the secret: refused ------------------------------------------
    d.get(base + "/")
    check("403" in d.title, "without the session the home page is refused")
    shot("00-forbidden")

    # --- log in by the printed URL ---------------------------------------------
    d.get(url)
    check(d.current_url.rstrip("/") == base, "login lands on the home page")
    check(css("#city").text == "Tunis", "the home page names the city")
    check("Amina Ben Ali" in css("#user").text, "and the person")
    check(len(csss("#profile-grid tbody tr")) == 11, "the profile grid has eleven sections")
    check(len(csss("#profile-grid tbody td")) == 44, "in four languages")
    shot("01-home")

    # --- add an action, with a validation error first ----------------------------
    d.get(base + "/records/actions")
    submit(css("a.button.primary"))
    check("/new/actions" in d.current_url, "New opens the form")
    css("#f-title").send_keys("TangerAccueil <pilot>")
    css("#f-budget_eur").send_keys("-5")
    css("#f-status option[value=ongoing]").click()
    css("#f-start_date").send_keys("03012026")  # typed as the date widget expects (mm/dd/yyyy in en-US)
    d.find_element(By.XPATH, "//details/summary[starts-with(normalize-space(.), '10.')]").click()
    css("input[name=sdg_targets][value='10.7']").click()
    css("input[name=themes][value=housing]").click()
    submit(css("form.record button[type=submit]"))
    check(css("#msg-budget_eur").is_displayed(), "the message is beside the budget")
    check(css("#f-title").get_attribute("value") == "TangerAccueil <pilot>", "what was typed is kept")
    check(css("input[name=sdg_targets][value='10.7']").is_selected(), "the SDG target stays checked")
    check(d.switch_to.active_element.get_attribute("id") == "f-budget_eur", "the cursor is on the field to correct")
    shot("02-new-action-refused")
    b = css("#f-budget_eur")
    b.clear()
    b.send_keys("50000")
    submit(css("form.record button[type=submit]"))
    check("/records/actions/" in d.current_url and "saved=1" in d.current_url, "the action is saved")
    action_id = d.current_url.split("/records/actions/")[1].split("?")[0]
    check(css("h1").text == "TangerAccueil <pilot>", "the record page shows the title as text")
    shot("03-action-saved")
    shown = json.loads(c2c("-C", "a", "show", "actions/" + action_id, "--json"))
    check(shown.get("budget_eur") == 50000 and shown.get("sdg_targets") == ["10.7"], "the record holds the values")
    check(shown.get("start_date") == "2026-03-01", "the date is stored as YYYY-MM-DD: %r" % shown.get("start_date"))

    # --- edit it -------------------------------------------------------------------
    b = css("#f-budget_eur")
    b.clear()
    b.send_keys("60000")
    css("#f-outcomes").send_keys("Welcome desk opened.\nTwo mediators hired.")
    submit(css("form.record button[type=submit]"))
    check(css("p.ok").is_displayed(), "the edit is saved")
    shown = json.loads(c2c("-C", "a", "show", "actions/" + action_id, "--json"))
    check(shown.get("budget_eur") == 60000, "the edit is stored")
    check(shown.get("outcomes") == "Welcome desk opened.\nTwo mediators hired.", "text areas keep LF line ends")

    # --- a profile section in Arabic ---------------------------------------------
    d.get(base + "/profile/overview")
    ar = css("#body-ar")
    check(ar.get_attribute("dir") == "rtl", "the Arabic text area is dir=rtl")
    check(d.execute_script("return getComputedStyle(arguments[0]).direction", ar) == "rtl",
          "and is written right to left")
    check(d.execute_script("return getComputedStyle(arguments[0]).direction", css("#body-en")) == "ltr",
          "English is left to right")
    ar.send_keys("تونس مدينة مفتوحة على المتوسط.")
    css("#body-en").send_keys("Tunis is a city open to the Mediterranean.")
    css("#status-ar option[value=draft]").click()
    submit(css("form.profile button[type=submit]"))
    check(css("p.ok").is_displayed(), "the section is saved")
    check(css("#body-ar").get_attribute("value") == "تونس مدينة مفتوحة على المتوسط.", "the Arabic text is kept")
    shot("04-profile-overview")
    ids = [r["id"] for r in json.loads(c2c("-C", "a", "ls", "profile_sections", "--json"))]
    check(sorted(ids) == ["tunis.overview.ar", "tunis.overview.en"], "two sections, by their natural ids: %r" % ids)
    d.get(base + "/")
    cell = css("#profile-grid td[data-section=overview][data-lang=ar]")
    check(cell.get_attribute("data-status") == "draft", "the grid shows the Arabic section as a draft")

    # --- sync through the hub ------------------------------------------------------
    sync_now("hub")
    check(len(csss("#sync-result")) == 1, "the sync reports its result")
    shot("05-sync")
    d.get(base + "/")
    check(css("dd#unsent").get_attribute("data-value") == "0", "nothing left to send after the sync")

    # --- a sync over a slow link: its progress as it goes, then its result ------------
    port, user, authkeys, hostpub = start_sshd(os.path.join(tmp, "sshd"))
    with open(os.path.join(tmp, "sshd", "sshd.pid")) as f:
        sshd_pid = int(f.read().strip())
    node_id = json.loads(c2c("-C", "a", "status", "--json"))["node_id"]
    c2c("hub", "allow", os.path.join(tmp, "hub.git"), node_id, os.path.join(tmp, "a", "keys", "id_ed25519.pub"),
        "--authorized-keys", authkeys)
    fp = subprocess.run(["ssh-keygen", "-lf", hostpub], capture_output=True, text=True).stdout.split()[1]
    proxy = subprocess.Popen([sys.executable, os.path.join(SRC, "scripts", "netproxy"), "--listen", "0", "--to",
                              "127.0.0.1:" + port, "--delay-ms", "150"], stdout=subprocess.PIPE, text=True)
    pport = proxy.stdout.readline().strip()
    c2c("-C", "a", "remote", "add", "slow", "ssh://%s@127.0.0.1:%s%s" % (user, pport, os.path.join(tmp, "hub.git")))
    c2c("-C", "a", "remote", "trust", "slow", fp)
    for lang, name in (("en", "Croissant-Rouge"), ("ar", "الهلال الأحمر")):
        c2c("-C", "a", "add", "stakeholders", "name=" + name, "kind=civil_society")
        d.get(base + "/sync?lang=" + lang)
        submit(css("tr[data-remote=slow] button"))
        check("/sync?run=" in d.current_url, "the sync starts and the page follows it: " + d.current_url)
        # the page's script replaces the block as the sync goes: read it in one go each time
        page = d.find_element(By.TAG_NAME, "html")
        state, remote, secs = progress()
        check(state == "running" and remote == "slow", "the page shows the sync with slow running: %s %s" % (state, remote))
        WebDriverWait(d, 30).until(lambda x: progress()[0] != "running" or progress()[2] != secs)
        check(not EC.staleness_of(page)(d), "the progress is brought up to date in place, without reloading the page")
        shot("05b-sync-progress-" + lang)
        WebDriverWait(d, 90).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "#sync-result, #sync-error")) > 0)
        WebDriverWait(d, 30).until(lambda x: x.execute_script("return document.readyState") == "complete")
        check(len(csss("#sync-result")) == 1, "then the result of the sync")
        check(css("#sync-progress").get_attribute("data-state") == "done", "the sync is done")
        check(int(css("#sync-progress").get_attribute("data-sent")) > 0, "and it counted the objects it sent")
        shot("05c-sync-done-" + lang)
    d.get(base + "/sync?lang=en")
    c2c("-C", "a", "remote", "rm", "slow")

    # --- a conflict made by a second node -------------------------------------------
    c2c("-C", "b", "sync")
    c2c("-C", "b", "set", "actions/" + action_id, "status=completed")
    c2c("-C", "b", "sync")
    d.get(base + "/records/actions/" + action_id)
    css("#f-status option[value=approved]").click()
    submit(css("form.record button[type=submit]"))
    sync_now("hub")
    check("conflict" in css("#sync-result").text, "the sync says that a conflict is open")
    d.get(base + "/")
    check(css("dd#conflicts").get_attribute("data-value") == "1", "the home page counts one open conflict")
    d.get(base + "/conflicts")
    sections = csss("section.conflict[data-field=status]")
    check(len(sections) == 1, "the conflict on status is listed")
    shot("06-conflicts")
    # keep the other node's value ("completed"), whichever number it has
    for li in csss("section.conflict[data-field=status] ol.values li"):
        if "Completed" in li.find_element(By.CSS_SELECTOR, ".val").text:
            submit(li.find_element(By.CSS_SELECTOR, "button.keep"))
            break
    check(len(csss("#no-conflicts")) == 1, "no conflict is left")
    shot("07-resolved")
    check(json.loads(c2c("-C", "a", "show", "actions/" + action_id, "--json")).get("status") == "completed",
          "the kept value stands")
    sync_now("hub")
    c2c("-C", "b", "sync")
    check(json.loads(c2c("-C", "b", "conflicts", "--json")) == [], "the resolution reached the other node")
    check(json.loads(c2c("-C", "b", "show", "actions/" + action_id, "--json")).get("status") == "completed",
          "with the kept value")

    # --- a spreadsheet with one bad row ------------------------------------------------
    csv_path = os.path.join(tmp, "actions.csv")
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write("title,status,budget_eur\nSfax desk,ongoing,1000\nBroken row,frozen,20\nArabic ok,approved,30\n")
    d.get(base + "/import/actions")
    css("input[type=file]").send_keys(csv_path)
    submit(css("form.upload button[type=submit]"))
    rows = csss("#problems tr[data-line]")
    check([r.get_attribute("data-line") for r in rows] == ["3"], "the bad row (line 3) is listed, and only it")
    shot("08-import-refused")
    before = len(json.loads(c2c("-C", "a", "ls", "actions", "--json")))
    check(before == 1, "nothing was imported")
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write("title,status,budget_eur\nSfax desk,ongoing,1000\nمكتب الاستقبال,approved,30\n")
    css("input[type=file]").send_keys(csv_path)
    submit(css("form.upload button[type=submit]"))
    check(css("#preview").get_attribute("data-added") == "2", "the preview counts two records to add")
    added = csss("#changes tr[data-action=add]")
    check(len(added) == 2, "and lists them")
    check("مكتب الاستقبال" in added[1].text if len(added) == 2 else False, "with their values")
    shot("09-import-preview")
    d.get(base + "/import/actions?lang=ar")
    css("input[type=file]").send_keys(csv_path)
    submit(css("form.upload button[type=submit]"))
    check(len(csss("#changes tr[data-action=add]")) == 2, "the preview in Arabic lists them too")
    shot("09b-import-preview-ar")
    submit(css("form button.primary"))
    check(len(json.loads(c2c("-C", "a", "ls", "actions", "--json"))) == 3, "the import wrote them")
    d.get(base + "/records/actions?lang=en")
    shot("10-actions-list")

    # --- French, then Arabic ---------------------------------------------------------
    d.get(base + "/")
    submit(d.find_element(By.CSS_SELECTOR, "nav.langs a[lang=fr]"))
    check(status_of_page() == "fr ltr", "French: lang=fr dir=ltr")
    check(d.find_element(By.CSS_SELECTOR, "nav.main a[href='/']").text == "Accueil", "the interface is in French")
    shot("11-home-fr")
    d.get(base + "/records/actions/" + action_id)
    check(status_of_page() == "fr ltr", "the language is kept for the session")
    check("Terminée" in css("#f-status option[selected]").text or css("#f-status").get_attribute("value") == "completed",
          "allowed values are words")
    shot("12-action-fr")
    submit(d.find_element(By.CSS_SELECTOR, "nav.langs a[lang=ar]"))
    check(status_of_page() == "ar rtl", "Arabic: lang=ar dir=rtl")
    check(d.execute_script("return getComputedStyle(document.body).direction") == "rtl", "the page is right to left")
    shot("13-action-ar")
    d.get(base + "/")
    shot("14-home-ar")
    d.get(base + "/records/actions")
    shot("15-list-ar")
    d.get(base + "/conflicts")
    shot("16-conflicts-ar")
    d.get(base + "/records/actions/" + action_id + "/history")
    rows = csss("#record-history tbody tr")
    check(len(rows) >= 4, "the record's history lists its commits (%d)" % len(rows))
    shot("17-record-history-ar")
    d.get(base + "/?lang=es")
    check(status_of_page() == "es ltr", "Spanish: lang=es dir=ltr")
    shot("18-home-es")
    d.get(base + "/history")
    shot("19-history-es")
    d.get(base + "/sync")
    shot("20-sync-es")
    d.get(base + "/report")
    check("<html" in d.page_source and len(csss("script")) == 0, "the report is served, without script")
    shot("21-report")

    # --- the office reviews a city's profile; the city sees the reviews --------------------
    def serve(node):
        p = subprocess.Popen([C2C, "-C", node, "ui", "--no-browser"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        others.append(p)
        u = p.stdout.readline().strip()
        return u, u.split("/login")[0]

    def row_of(rid):
        return css("tr[id='rv-profile_sections-%s']" % rid)

    def part_shot(sel, name):
        d.execute_script("arguments[0].scrollIntoView()", css(sel))
        css(sel).screenshot(os.path.join(SHOTS, name + ".png"))

    c2c("init", "office", "--office", "--user", "Coordination Office <office@icmpd.example>")
    c2c("init", "sfax", "--city", "sfax", "--office-key", os.path.join(tmp, "office", "keys", "id_ed25519.pub"),
        "--user", "Salma Gharbi <salma@sfax.example>")
    sid = json.loads(c2c("-C", "sfax", "status", "--json"))["node_id"]
    c2c("-C", "office", "node", "add", sid, "--city", "sfax", os.path.join(tmp, "sfax", "keys", "id_ed25519.pub"))
    c2c("-C", "sfax", "add", "profile_sections", "section=overview", "lang=en", "body=Sfax, a port city.", "status=submitted")
    c2c("-C", "sfax", "add", "profile_sections", "section=overview", "lang=ar", "body=صفاقس مدينة ساحلية.",
        "status=submitted")
    c2c("-C", "sfax", "add", "profile_sections", "section=governance", "lang=fr", "body=La gouvernance.",
        "status=validated")
    c2c("-C", "office", "remote", "add", "sfax", os.path.join(tmp, "sfax"))
    c2c("-C", "sfax", "remote", "add", "office", os.path.join(tmp, "office"))
    c2c("-C", "office", "sync", "sfax")
    ourl, obase = serve("office")
    d.get(ourl)
    d.get(obase + "/dashboard?lang=en")
    check(row_of("sfax.overview.en").get_attribute("data-review") == "none", "the dashboard lists the submitted section")
    check(len(csss("#review-sections tbody tr")) == 3, "and every section submitted or validated by the city")
    row_of("sfax.overview.en").find_element(By.CSS_SELECTOR, "input[name=comment]").send_keys("Add the 2024 figures.")
    submit(row_of("sfax.overview.en").find_element(By.CSS_SELECTOR, "button.send-back"))
    check("reviewed=1" in d.current_url and css("section.office-reviews p.ok").is_displayed(), "the review is saved")
    check(row_of("sfax.overview.en").get_attribute("data-review") == "changes_requested", "the row shows it")
    submit(row_of("sfax.overview.ar").find_element(By.CSS_SELECTOR, "button.validate"))
    check(row_of("sfax.overview.ar").get_attribute("data-review") == "validated", "the Arabic overview is validated")
    rv = json.loads(c2c("-C", "office", "show", "reviews/profile_sections.sfax.overview.en", "--json"))
    check(rv.get("status") == "changes_requested" and rv.get("comment") == "Add the 2024 figures.",
          "the review is the record 'c2c review' writes: %r" % rv)
    part_shot("section.office-reviews", "22-dashboard-reviews")
    # the record's page, in Arabic
    d.get(obase + "/records/profile_sections/sfax.governance.fr?lang=ar")
    check(status_of_page() == "ar rtl", "the record's page in Arabic")
    check(len(csss("#no-review")) == 1, "not reviewed yet")
    css("#review-comment").send_keys("قسم واضح.")
    submit(css("form.review-form button.validate"))
    check(css("#review details.review").get_attribute("data-review") == "validated", "validated from the record's page")
    check(css("section.review-box p.ok").text == "حُفظت المراجعة.", "the page says so in Arabic")
    css("#review details.review summary").click()
    check(css("#review .review-comment").text == "قسم واضح.", "with its comment")
    shot("23-record-review-ar")
    d.get(obase + "/dashboard?lang=ar")
    check(d.execute_script("return getComputedStyle(arguments[0]).direction", css("#review-sections")) == "rtl",
          "the dashboard's reviews are right to left in Arabic")
    row_of("sfax.overview.en").find_element(By.CSS_SELECTOR, "details.review summary").click()
    part_shot("section.office-reviews", "24-dashboard-reviews-ar")
    check(len(json.loads(c2c("-C", "office", "ls", "reviews", "--json"))) == 3, "three reviews, one per record")
    c2c("-C", "office", "verify")
    # the city syncs, then edits the validated governance section: out of date
    c2c("-C", "sfax", "sync", "office")
    c2c("-C", "sfax", "set", "profile_sections/sfax.governance.fr", "body=La gouvernance locale.")
    curl, cbase = serve("sfax")
    d.get(curl)
    d.get(cbase + "/?lang=en")

    def cell(sec, lang):
        return css("#profile-grid td[data-section=%s][data-lang=%s]" % (sec, lang))
    check(cell("overview", "en").get_attribute("data-review") == "changes_requested", "the grid shows the changes asked")
    check(cell("overview", "ar").get_attribute("data-review") == "validated", "the validation")
    check(cell("governance", "fr").get_attribute("data-review") == "out_of_date", "and a review made out of date by an edit")
    check(not d.execute_script("return arguments[0].open", cell("overview", "en").find_element(By.CSS_SELECTOR, "details")),
          "the comment is folded")
    cell("overview", "en").find_element(By.CSS_SELECTOR, "summary").click()
    check(cell("overview", "en").find_element(By.CSS_SELECTOR, ".review-comment").text == "Add the 2024 figures.",
          "and one click shows it")
    shot("25-home-reviews")
    d.get(cbase + "/?lang=ar")
    cell("overview", "en").find_element(By.CSS_SELECTOR, "summary").click()
    cell("governance", "fr").find_element(By.CSS_SELECTOR, "summary").click()
    check("طلب المكتب تعديلات" in cell("overview", "en").text, "the mark in Arabic")
    shot("26-home-reviews-ar")
finally:
    if proxy:
        proxy.terminate()
        proxy.wait(10)
    if sshd_pid:
        try:
            os.kill(sshd_pid, 15)
        except OSError:
            pass
    if driver:
        driver.quit()
    for p in others:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    if server:
        server.terminate()
        try:
            server.wait(10)
            check(server.returncode == 0, "SIGTERM stops the server cleanly (status %s)" % server.returncode)
        except subprocess.TimeoutExpired:
            server.kill()
            check(False, "the server stops on SIGTERM")
    shutil.rmtree(tmp, ignore_errors=True)

print("%d passed, %d failed (screenshots in %s)" % (passed, failed, SHOTS))
sys.exit(1 if failed else 0)
