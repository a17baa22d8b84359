#!/bin/bash
# The command line speaks the officer's language: help, errors, hints and
# headings from node/po/cli.LANG.po, chosen as gettext chooses (LANGUAGE,
# then LC_ALL, LC_MESSAGES, LANG; C, POSIX or a language without a catalog
# is English), English for a message a catalog lacks, codes and JSON keys
# English whatever the language, Arabic as plain UTF-8.
. "$(dirname "$0")/lib.sh"

N=$T/tunis
c2c init "$N" --city tunis --user "Amina Ben Ali <amina@tunis.example>" >/dev/null || exit 1
cd "$N"
ID=$(c2c add actions title="Accueil" status=ongoing) || exit 1
unset LC_ALL LC_MESSAGES
export LANGUAGE=

# fr|es|ar COMMAND...: COMMAND with LANG set for it alone;
# with VAR=VALUE... COMMAND...: COMMAND with those variables set
fr() { LANG=fr_FR.UTF-8 "$@"; }
es() { LANG=es_ES.UTF-8 "$@"; }
ar() { LANG=ar_TN.UTF-8 "$@"; }
with() { (
	while [ "${1#*=}" != "$1" ]; do
		export "${1?}"
		shift
	done
	"$@"
); }

# ------------------------------------------------ help
run 0 "fr: top-level help" fr c2c --help
has "$T/out" "^usage : c2c \[-C DOSSIER\] \[--json\] .* COMMANDE \[ARGUMENTS\]$" "fr: usage line"
has "$T/out" "^commandes :$" "fr: commands heading"
has "$T/out" "^  set         modifier des champs d'une fiche$" "fr: a command's summary"
has "$T/out" "^  conflicts   lister les conflits ouverts, chaque valeur numérotée$" "fr: conflicts summary"
run 0 "fr: set --help" fr c2c set --help
has "$T/out" "^usage : c2c set TABLE/ID CHAMP=VALEUR\.\.\.$" "fr: set usage, its placeholders in French"
has "$T/out" "^Modifie les champs indiqués en un seul commit\." "fr: set help"
has "$T/out" "^Options communes : -C DOSSIER \(le nœud\)" "fr: common options"
run 0 "es: help import" es c2c help import
has "$T/out" "^uso: c2c import TABLA ARCHIVO\.csv \[--dry-run\]" "es: import usage"
has "$T/out" "^importar registros desde un archivo CSV$" "es: import summary"
has "$T/out" "La importación puede repetirse sin riesgo\." "es: import help"
has "$T/out" "^Opciones comunes: -C CARPETA \(el nodo\)" "es: common options"
run 0 "ar: resolve --help" ar c2c resolve --help
has "$T/out" "^الاستخدام: c2c resolve TABLE/ID \[FIELD\] \(--value V \| --keep N\)$" "ar: usage"
has "$T/out" "^إغلاق تعارض بقيمة جديدة أو بقيمة مُبقاة$" "ar: resolve summary"
has "$T/out" "^يغلق التعارض المفتوح على الحقل FIELD من السجل" "ar: resolve help"
run 0 "ar: top-level help" ar c2c --help
has "$T/out" "^الأوامر:$" "ar: commands heading"
has "$T/out" "^  status      الهوية، والإصدار، والسجلات، والخوادم البعيدة، والتعارضات$" "ar: status summary"
# node, hub, trust and log: usage, summary and help in each language
run 0 "fr: node --help" fr c2c node --help
has "$T/out" "^usage : c2c node add ID-NŒUD \(--city SLUG \| --role office\) FICHIER-CLÉ-PUBLIQUE$" "fr: node usage"
has "$T/out" "^\(bureau\) enregistrer un nœud et sa clé, ou la révoquer$" "fr: node summary"
has "$T/out" "^« revoke » révoque la clé du nœud" "fr: node help"
run 0 "fr: hub --help" fr c2c hub --help
has "$T/out" "^usage : c2c hub init CHEMIN \[--office-key FICHIER-CLÉ-PUBLIQUE\]$" "fr: hub usage"
has "$T/out" "^créer le dépôt d'un hub, y autoriser des nœuds, suivre le registre$" "fr: hub summary"
has "$T/out" "^Un hub est un dépôt nu sur un serveur OpenSSH" "fr: hub help"
run 0 "fr: trust --help" fr c2c trust --help
has "$T/out" "^usage : c2c trust \[show\] \| c2c trust handover ID-NŒUD \| c2c trust office FICHIER-CLÉ-PUBLIQUE \[--replace\]$" "fr: trust usage"
has "$T/out" "^La racine de confiance du réseau est la clé du bureau" "fr: trust help"
run 0 "fr: log --help" fr c2c log --help
has "$T/out" "^historique du nœud ou d'une fiche$" "fr: log summary"
has "$T/out" "^\[révoqué le DATE\] quand le bureau a révoqué cette clé" "fr: log help, revoked keys"
run 0 "es: node --help" es c2c node --help
has "$T/out" "^uso: c2c node add ID-NODO \(--city SLUG \| --role office\) ARCHIVO-CLAVE-PÚBLICA$" "es: node usage"
has "$T/out" "^\(oficina\) registrar un nodo y su clave, o revocarla$" "es: node summary"
has "$T/out" "^«revoke» revoca la clave del nodo" "es: node help"
run 0 "es: hub --help" es c2c hub --help
has "$T/out" "^uso: c2c hub init RUTA \[--office-key ARCHIVO-CLAVE-PÚBLICA\]$" "es: hub usage"
has "$T/out" "^crear el repositorio de un hub, autorizar nodos, seguir el registro$" "es: hub summary"
has "$T/out" "^Un hub es un repositorio desnudo en un servidor OpenSSH" "es: hub help"
run 0 "es: trust --help" es c2c trust --help
has "$T/out" "^uso: c2c trust \[show\] \| c2c trust handover ID-NODO" "es: trust usage"
has "$T/out" "^La raíz de confianza de la red es la clave de la oficina" "es: trust help"
run 0 "es: log --help" es c2c log --help
has "$T/out" "^historial del nodo o de un registro$" "es: log summary"
has "$T/out" "^Lista los commits del historial de este nodo" "es: log help"
run 0 "ar: node --help" ar c2c node --help
has "$T/out" "^الاستخدام: c2c node add NODE-ID \(--city SLUG \| --role office\) PUBKEY-FILE$" "ar: node usage"
has "$T/out" "^\(المكتب\) تسجيل عقدة ومفتاحها، أو إبطاله$" "ar: node summary"
has "$T/out" "^ويُبطل «revoke» مفتاح العقدة" "ar: node help"
run 0 "ar: hub --help" ar c2c hub --help
has "$T/out" "^إنشاء مستودع محور، والسماح للعقد بالدخول، ومتابعة السجل$" "ar: hub summary"
has "$T/out" "^المحور مستودع مجرّد \(bare\) على خادم OpenSSH" "ar: hub help"
run 0 "ar: trust --help" ar c2c trust --help
has "$T/out" "^مفتاح جذر الثقة: عرضه، وتسليمه، وتغيير الجذر$" "ar: trust summary"
has "$T/out" "^جذر الثقة في الشبكة هو مفتاح المكتب" "ar: trust help"
run 0 "ar: log --help" ar c2c log --help
has "$T/out" "^السجل التاريخي للعقدة أو لسجل واحد$" "ar: log summary"
has "$T/out" "^يسرد إيداعات السجل التاريخي لهذه العقدة" "ar: log help"
# Arabic is plain UTF-8: no bidi controls (LRM, RLM, embeddings, isolates)
check "ar: help is valid UTF-8 without bidi controls" python3 -c '
import sys
t = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(any(c in t for c in "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))' "$T/out"

# ------------------------------------------------ errors and hints
run 1 "fr: show a record that does not exist" fr c2c show actions/nope
has "$T/err" "^c2c show : erreur : aucune fiche actions/nope$" "fr: not found"
has "$T/err" "^conseil : lancez « c2c ls actions » pour voir les identifiants$" "fr: hint"
run 1 "es: set a value not allowed" es c2c set "actions/$ID" status=done
has "$T/err" "^c2c set: error: actions\.status: «done» no es un valor permitido$" "es: not allowed"
has "$T/err" "^sugerencia: valores permitidos: proposed, approved, ongoing, completed, cancelled" "es: allowed values"
run 1 "ar: set a value not allowed" ar c2c set "actions/$ID" status=done
has "$T/err" "^c2c set: خطأ: actions\.status: «done» ليست قيمة مسموحًا بها$" "ar: not allowed"
has "$T/err" "^تلميح: القيم المسموح بها: proposed, approved" "ar: allowed values"
run 2 "fr: add without arguments" fr c2c add
has "$T/err" "^c2c add : erreur : add : trop peu d'arguments$" "fr: usage error"
has "$T/err" "^conseil : usage : c2c add TABLE" "fr: usage hint"
run 2 "es: not a command" es c2c frobnicate
has "$T/err" "«frobnicate» no es un comando de c2c" "es: unknown command"
run 0 "fr: set with the same values" fr c2c set "actions/$ID" status=ongoing
has "$T/err" "^c2c set : actions/$ID a déjà ces valeurs ; aucun commit à faire$" "fr: nothing to commit"
run 1 "fr: sync without remotes" fr c2c sync
has "$T/err" "^c2c sync : erreur : ce nœud n'a aucun distant$" "fr: no remotes"
run 1 "fr: outside a node" sh -c 'cd / && LANG=fr_FR.UTF-8 "$0" status' "$C2C"
has "$T/err" "vous n'êtes pas dans un nœud c2c" "fr: not in a node"

# import: every bad row, in the officer's language
printf 'title,status\nA,done\nB,ongoing\nC,nope\n' >"$T/bad.csv"
run 1 "es: import with bad rows" es c2c import actions "$T/bad.csv"
has "$T/err" "bad\.csv: fila 2, columna B \(status\): «done» no es un valor permitido" "es: first bad row"
has "$T/err" "bad\.csv: fila 4, columna B \(status\): «nope» no es un valor permitido" "es: second bad row"
has "$T/err" "^c2c import: error: .*bad\.csv: 2 filas erróneas; no se ha importado nada$" "es: import refused"
run 1 "ar: import with bad rows" ar c2c import actions "$T/bad.csv"
has "$T/err" "bad\.csv: الصف 2، العمود B \(status\): «done» ليست قيمة مسموحًا بها" "ar: bad row"
has "$T/err" "عدد الصفوف الخاطئة 2؛ لم يُستورد شيء" "ar: import refused"
printf 'title,status\nB,ongoing\n' >"$T/good.csv"
run 0 "fr: import dry run" fr c2c import actions "$T/good.csv" --dry-run
has "$T/out" "^simulation de l'import de .*good\.csv dans actions : fiches à ajouter : 1, à modifier : 0, inchangées : 0 ; rien n'a été écrit$" "fr: dry run"

# headings: status, conflicts, resolve
run 0 "fr: status" fr c2c status
has "$T/out" "^utilisateur  Amina Ben Ali <amina@tunis\.example>$" "fr: status user"
has "$T/out" "^conflits     aucun$" "fr: status conflicts"
run 0 "fr: tables" fr c2c tables actions
has "$T/out" "^actions  \(par ville ; Actions ciblées de la ville\)$" "fr: a table's scope and label"
has "$T/out" "^  status                 l'une des valeurs : proposed, approved, ongoing, completed, cancelled$" "fr: allowed values stay codes"
has "$T/out" "^                           Budget \(EUR\)$" "fr: a field's label"
run 0 "es: conflicts" es c2c conflicts
has "$T/out" "^no hay conflictos abiertos$" "es: no conflicts"
run 0 "ar: conflicts" ar c2c conflicts
has "$T/out" "^لا توجد تعارضات مفتوحة$" "ar: no conflicts"
run 1 "fr: resolve without a conflict" fr c2c resolve "actions/$ID" status --keep 1
has "$T/err" "^c2c resolve : erreur : actions/$ID n'a aucun conflit ouvert sur status$" "fr: nothing to resolve"
has "$T/err" "^conseil : « c2c conflicts » les liste$" "fr: resolve hint"

# node revoke and log: their errors in each language
run 2 "fr: node revoke with --city" fr c2c node revoke x --city tunis
has "$T/err" "^c2c node : erreur : usage : c2c node add ID-NŒUD .* \| c2c node revoke ID-NŒUD \[--reason TEXTE\] \[--keep-until COMMIT\]$" "fr: node revoke usage error"
run 2 "es: node revoke with --city" es c2c node revoke x --city tunis
has "$T/err" "^c2c node: error: uso: c2c node add ID-NODO .* \| c2c node revoke ID-NODO \[--reason TEXTO\] \[--keep-until COMMIT\]$" "es: node revoke usage error"
run 2 "ar: node revoke with --city" ar c2c node revoke x --city tunis
has "$T/err" "^c2c node: خطأ: الاستخدام: c2c node add NODE-ID .* \| c2c node revoke NODE-ID \[--reason TEXT\] \[--keep-until COMMIT\]$" "ar: node revoke usage error"
run 2 "fr: log -n x" fr c2c log -n x
has "$T/err" "^c2c log : erreur : -n attend un nombre de commits, et non « x »$" "fr: log error"
has "$T/err" "^conseil : par exemple : c2c log -n 10$" "fr: log hint"
run 2 "es: log -n x" es c2c log -n x
has "$T/err" "^c2c log: error: -n requiere un número de commits, no «x»$" "es: log error"
run 2 "ar: log -n x" ar c2c log -n x
has "$T/err" "^c2c log: خطأ: يتطلب -n عددًا من الإيداعات، وليس «x»$" "ar: log error"
# a file audit cannot write: the error, and no result line after it
run 1 "fr: audit signers into a missing directory" fr c2c audit signers "$T/none/allowed_signers"
has "$T/err" "^c2c audit : erreur : .*none/allowed_signers\.tmp" "fr: audit error"
same "fr: no result line after the error" "$(cat "$T/out")" ""
run 0 "fr: audit signers" fr c2c audit signers "$T/allowed_signers"
has "$T/out" "allowed_signers : [0-9]+ signataires? enregistrés?$" "fr: audit result"

# ------------------------------------------------ --json: codes and keys stay English
run 1 "fr: --json error" fr c2c --json show actions/nope
check "fr: the JSON error keeps its code and keys" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "not_found" and e["command"] == "show" and e["exit"] == 1, e
assert e["message"] == "aucune fiche actions/nope", e' "$T/out"
run 0 "fr: --json output" fr c2c --json conflicts
same "fr: --json data is not translated" "$(tr -d ' \n' <"$T/out")" "[]"

# ------------------------------------------------ the English fallback
# C, POSIX and a language without a catalog are English
run 1 "C is English" with LANG=C LANGUAGE=fr c2c show actions/nope
has "$T/err" "^c2c show: error: no record actions/nope$" "C: English, LANGUAGE ignored"
run 1 "POSIX is English" with LC_ALL=POSIX LANG=fr_FR.UTF-8 c2c show actions/nope
has "$T/err" "^c2c show: error: no record actions/nope$" "POSIX: English"
run 1 "de is English" with LANG=de_DE.UTF-8 c2c show actions/nope
has "$T/err" "^c2c show: error: no record actions/nope$" "de: English"
# a message the catalog lacks (the registry's rules stay in English) is
# English inside a translated frame
run 1 "fr: a message without translation" fr c2c node revoke nobody
has "$T/err" "^c2c node : erreur : only the office revokes nodes; this is tunis's node tunis-" "fr: untranslated message in English"
has "$T/err" "^conseil : run 'c2c node revoke' on an office node$" "fr: untranslated hint in English"

# ------------------------------------------------ progress
# Progress lines name their phase in the officer's language; the counts
# stay as they are.
printf 'title,status\nRéunion,ongoing\nAtelier,approved\n' >"$T/two.csv"
run 0 "fr: import's progress" with LANG=fr_FR.UTF-8 C2C_PROGRESS=1 C2C_PROGRESS_AFTER_MS=0 c2c import actions "$T/two.csv"
tr '\r' '\n' <"$T/err" >"$T/progress"
has "$T/progress" "^importation: 2/2 \(100%\)$" "fr: the import's progress line"
run 0 "ar: import's progress" with LANG=ar_TN.UTF-8 C2C_PROGRESS=1 C2C_PROGRESS_AFTER_MS=0 c2c import actions "$T/two.csv"
tr '\r' '\n' <"$T/err" >"$T/progress"
has "$T/progress" "^الاستيراد: 2/2 \(100%\)$" "ar: the import's progress line"

# A full disk (a limit on a file's size) during an import: what failed and
# what to do, in the officer's language.
awk 'BEGIN { print "title,status"; for (i = 1; i <= 400; i++) printf "Action %d,ongoing\n", i }' >"$T/many.csv"
run 1 "fr: import on a full disk" with LANG=fr_FR.UTF-8 sh -c "trap '' XFSZ; ulimit -f 100; exec \"\$0\" \"\$@\"" \
	"$C2C" import actions "$T/many.csv"
has "$T/err" "^c2c import : erreur : écriture du texte des fiches dans un fichier temporaire de /" "fr: the full disk"
has "$T/err" "^conseil : rien n'a été écrit : libérez de la place dans /" "fr: what to do"

# ------------------------------------------------ which variable wins
run 1 "LANGUAGE before LANG" with LANG=fr_FR.UTF-8 LANGUAGE=es c2c show actions/nope
has "$T/err" "^c2c show: error: no existe el registro actions/nope$" "LANGUAGE=es over LANG=fr"
run 1 "LANGUAGE: the first language with a catalog" with LANG=fr_FR.UTF-8 LANGUAGE=de:pt:ar c2c show actions/nope
has "$T/err" "^c2c show: خطأ: لا يوجد سجل actions/nope$" "LANGUAGE=de:pt:ar gives ar"
run 1 "LANGUAGE empty: LANG" with LANG=es_ES.UTF-8 LANGUAGE= c2c show actions/nope
has "$T/err" "no existe el registro" "empty LANGUAGE is unset"
run 1 "LC_ALL before LC_MESSAGES and LANG" with LANG=fr_FR.UTF-8 LC_MESSAGES=ar_TN.UTF-8 LC_ALL=es_ES.UTF-8 c2c show actions/nope
has "$T/err" "no existe el registro" "LC_ALL wins"
run 1 "LC_MESSAGES before LANG" with LANG=fr_FR.UTF-8 LC_MESSAGES=ar_TN.UTF-8 c2c show actions/nope
has "$T/err" "لا يوجد سجل actions/nope" "LC_MESSAGES wins over LANG"

# ------------------------------------------------ the catalogs follow the code
# Every message the code marks is in cli.en.po as the code has it, and
# translated in fr, es and ar, with none left over (scripts/po-cli --check,
# xgettext reading node/*.c): a changed help text cannot fall back to
# English unnoticed.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
run 0 "the catalogs follow the code" python3 "$SRC/scripts/po-cli" --check
has "$T/out" "^[0-9]+ messages$" "po-cli counted the messages"

finish
