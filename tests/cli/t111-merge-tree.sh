#!/bin/bash
# c2c merge-tree gives the same bytes release after release: two sides made
# by hand from fixed record files (a field both sides set, with a set field;
# a deletion against an edit; a record one side changed; one only one side
# has; one both hold alike), joined in both orders, give the tree pinned
# here (computed before the join read trees raw from the object database).
# And where the two sides changed different records, c2c merge-tree gives
# the very tree stock `git merge-tree --write-tree` gives, opening no
# record where one side left a bucket as their merge base holds it. Like
# git's plumbing, it needs only the repository: it runs beside a command
# that holds the node, and without reading the database.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
c2c init n --city tunis >/dev/null || exit 1
G=n/repo.git
B=cities/tunis/actions
# put SIDE FILE: the record FILE (from the fixtures below) into SIDE's index.
put() {
	id=$(git -C "$G" hash-object -w "$T/$1/$2") &&
		GIT_INDEX_FILE=$T/$1.index git -C "$G" update-index --add --cacheinfo "100644,$id,$B/$3/$2"
}
# commit SIDE [PARENT]: a commit of SIDE's index.
commit() {
	t=$(GIT_INDEX_FILE=$T/$1.index git -C "$G" write-tree) &&
		GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example \
			GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
			git -C "$G" commit-tree ${2:+-p "$2"} -m "$1" "$t"
}
mkdir a b
cat >a/01a24c1b8611654c322a6691.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-85d3b659": 1
    },
    "dots": {
      "city": ["tunis-85d3b659", 1, 2],
      "sdg_targets": ["tunis-85d3b659", 1, 2],
      "status": ["tunis-85d3b659", 1, 2],
      "title": ["tunis-85d3b659", 1, 2]
    },
    "elems": {
      "sdg_targets": {
        "10.7": [["tunis-85d3b659", 1, 2]],
        "4.4": [["tunis-85d3b659", 1, 2]]
      }
    }
  },
  "city": "tunis",
  "sdg_targets": ["10.7", "4.4"],
  "status": "ongoing",
  "title": "A1"
}
JSON
cat >a/01a24c1b87386f766f4edde9.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-85d3b659": 1,
      "tunis-ffe906ba": 1
    },
    "deleted": [["tunis-ffe906ba", 1, 8, {"tunis-85d3b659": 1, "tunis-ffe906ba": 1}]],
    "dots": {
      "city": ["tunis-85d3b659", 1, 3],
      "sdg_targets": ["tunis-85d3b659", 1, 3],
      "status": ["tunis-85d3b659", 1, 3],
      "title": ["tunis-85d3b659", 1, 3]
    },
    "elems": {
      "sdg_targets": {
        "10.7": [["tunis-85d3b659", 1, 3]],
        "4.4": [["tunis-85d3b659", 1, 3]]
      }
    }
  },
  "city": "tunis",
  "sdg_targets": ["10.7", "4.4"],
  "status": "ongoing",
  "title": "A2"
}
JSON
cat >a/01a24c1b88a50cdfed3d7a6d.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-85d3b659": 1,
      "tunis-ffe906ba": 1
    },
    "dots": {
      "budget_eur": ["tunis-ffe906ba", 1, 9],
      "city": ["tunis-85d3b659", 1, 4],
      "sdg_targets": ["tunis-85d3b659", 1, 4],
      "status": ["tunis-85d3b659", 1, 4],
      "title": ["tunis-85d3b659", 1, 4]
    },
    "elems": {
      "sdg_targets": {
        "10.7": [["tunis-85d3b659", 1, 4]],
        "4.4": [["tunis-85d3b659", 1, 4]]
      }
    }
  },
  "budget_eur": 5,
  "city": "tunis",
  "sdg_targets": ["10.7", "4.4"],
  "status": "ongoing",
  "title": "A3"
}
JSON
cat >b/01a24c1b8611654c322a6691.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-3f7c7dde": 1,
      "tunis-85d3b659": 2
    },
    "conflicts": {
      "sdg_targets": [[null, "tunis-3f7c7dde", 1, 8]],
      "status": [["cancelled", "tunis-3f7c7dde", 1, 8]]
    },
    "dots": {
      "city": ["tunis-85d3b659", 1, 2],
      "sdg_targets": ["tunis-85d3b659", 2, 8],
      "status": ["tunis-85d3b659", 2, 8],
      "title": ["tunis-85d3b659", 1, 2]
    },
    "elems": {
      "sdg_targets": {
        "16.6": [["tunis-3f7c7dde", 1, 8]]
      }
    }
  },
  "city": "tunis",
  "sdg_targets": ["16.6"],
  "status": "completed",
  "title": "A1"
}
JSON
cat >b/01a24c1b87386f766f4edde9.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-3f7c7dde": 1,
      "tunis-85d3b659": 1
    },
    "dots": {
      "city": ["tunis-85d3b659", 1, 3],
      "sdg_targets": ["tunis-85d3b659", 1, 3],
      "status": ["tunis-85d3b659", 1, 3],
      "title": ["tunis-3f7c7dde", 1, 9]
    },
    "elems": {
      "sdg_targets": {
        "10.7": [["tunis-85d3b659", 1, 3]],
        "4.4": [["tunis-85d3b659", 1, 3]]
      }
    }
  },
  "city": "tunis",
  "sdg_targets": ["10.7", "4.4"],
  "status": "ongoing",
  "title": "Edited"
}
JSON
cat >b/01a24c1b88a50cdfed3d7a6d.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-85d3b659": 1
    },
    "dots": {
      "city": ["tunis-85d3b659", 1, 4],
      "sdg_targets": ["tunis-85d3b659", 1, 4],
      "status": ["tunis-85d3b659", 1, 4],
      "title": ["tunis-85d3b659", 1, 4]
    },
    "elems": {
      "sdg_targets": {
        "10.7": [["tunis-85d3b659", 1, 4]],
        "4.4": [["tunis-85d3b659", 1, 4]]
      }
    }
  },
  "city": "tunis",
  "sdg_targets": ["10.7", "4.4"],
  "status": "ongoing",
  "title": "A3"
}
JSON
cat >b/01a24c1baf4ee66d15165a04.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-85d3b659": 1
    },
    "dots": {
      "city": ["tunis-85d3b659", 1, 9],
      "status": ["tunis-85d3b659", 1, 9],
      "title": ["tunis-85d3b659", 1, 9]
    }
  },
  "city": "tunis",
  "status": "proposed",
  "title": "New"
}
JSON
cat >a/same.json <<'JSON'
{
  "_c2c": {
    "clock": {
      "tunis-85d3b659": 1
    },
    "dots": {
      "city": ["tunis-85d3b659", 1, 5],
      "sdg_targets": ["tunis-85d3b659", 1, 5],
      "status": ["tunis-85d3b659", 1, 5],
      "title": ["tunis-85d3b659", 1, 5]
    },
    "elems": {
      "sdg_targets": {
        "10.7": [["tunis-85d3b659", 1, 5]],
        "4.4": [["tunis-85d3b659", 1, 5]]
      }
    }
  },
  "city": "tunis",
  "sdg_targets": ["10.7", "4.4"],
  "status": "ongoing",
  "title": "A4"
}
JSON
cp a/same.json b/same.json
for s in a b; do
	put $s 01a24c1b8611654c322a6691.json 8/2 && put $s 01a24c1b87386f766f4edde9.json f/9 &&
		put $s 01a24c1b88a50cdfed3d7a6d.json 4/1 && put $s same.json 3/6 || exit 1
done
put b 01a24c1baf4ee66d15165a04.json c/a || exit 1
A=$(commit a) && B2=$(commit b) || exit 1

run 0 "merge-tree of the two sides" c2c -C n merge-tree "$A" "$B2"
same "the tree is the one pinned" "$(cat "$T/out")" d00437c17dab1355b941f7ec8a4d1243fffb31c3
run 0 "the other way round" c2c -C n merge-tree "$B2" "$A"
same "the same tree" "$(cat "$T/out")" d00437c17dab1355b941f7ec8a4d1243fffb31c3
run 0 "merge-tree --json" c2c -C n --json merge-tree "$A" "$B2"
same "what it joined, took and skipped" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["joined"], d["taken"], d["conflicts"])' "$T/out")" \
	"3 1 2"
run 0 "git fsck --strict of the result" git -C "$G" fsck --strict --no-dangling --no-progress

# Different records changed on each side of a common commit: the join is
# what git's own three-way merge gives, byte for byte.
rm -f "$T/a.index" "$T/b.index"
for s in a b; do
	put $s 01a24c1b8611654c322a6691.json 8/2 && put $s same.json 3/6 || exit 1
done
BASE=$(commit a) || exit 1
cp "$T/a.index" "$T/b.index"
put a 01a24c1b87386f766f4edde9.json f/9 && put b 01a24c1b88a50cdfed3d7a6d.json 4/1 &&
	put b 01a24c1baf4ee66d15165a04.json c/a || exit 1
A=$(commit a "$BASE") && B2=$(commit b "$BASE") || exit 1
run 0 "git merge-tree --write-tree" git -C "$G" merge-tree --write-tree "$A" "$B2"
GIT=$(cat "$T/out")
run 0 "c2c merge-tree of the same commits" c2c -C n merge-tree "$A" "$B2"
same "c2c's tree is git's" "$(cat "$T/out")" "$GIT"

# One side changed a bucket that the other left as their merge base holds
# it: the join takes that side's bucket whole without opening it (the
# merge-base shortcut of mergetree.h), and its tree is git's and that of
# the join without a base (of parentless copies of the two commits).
F=$B/8/2/01a24c1b8611654c322a6691.json
X=$(git -C "$G" rev-parse "d00437c17dab1355b941f7ec8a4d1243fffb31c3:$F") || exit 1
GIT_INDEX_FILE=$T/c.index git -C "$G" read-tree "$BASE" &&
	GIT_INDEX_FILE=$T/c.index git -C "$G" update-index --cacheinfo "100644,$X,$F" || exit 1
C3=$(commit c "$BASE") || exit 1
run 0 "git merge-tree --write-tree, one bucket changed on one side" git -C "$G" merge-tree --write-tree "$A" "$C3"
GIT=$(cat "$T/out")
joined() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tree"], d["joined"], d["taken"])' "$T/out"; }
run 0 "c2c merge-tree of the same commits" c2c -C n --json merge-tree "$A" "$C3"
same "git's tree, and no record opened" "$(joined)" "$GIT 0 0"
run 0 "the other way round" c2c -C n --json merge-tree "$C3" "$A"
same "git's tree; the record only the second side has is taken" "$(joined)" "$GIT 0 1"
PA=$(git -C "$G" commit-tree -m a "$A^{tree}") && PC=$(git -C "$G" commit-tree -m c "$C3^{tree}") || exit 1
run 0 "the join without a base" c2c -C n --json merge-tree "$PA" "$PC"
same "the same tree, one record joined" "$(joined)" "$GIT 1 0"

# Only the repository: no wait for the node's lock, no database read.
flock -o n/c2c.lock sleep 30 >/dev/null 2>&1 &
holder=$!
sleep 0.3
export C2C_LOCK_WAIT_MS=500
run 0 "c2c merge-tree while another command holds the node" c2c -C n merge-tree "$A" "$C3"
same "the same tree" "$(cat "$T/out")" "$GIT"
run 1 "while a write waits for the lock, and gives up" c2c -C n set "actions/x" title=y
pkill -P $holder sleep
wait $holder 2>/dev/null
mv n/c2c.db n/c2c.db.away && : >n/c2c.db
run 0 "c2c merge-tree with the database unreadable" c2c -C n merge-tree "$A" "$C3"
same "the same tree" "$(cat "$T/out")" "$GIT"
run 1 "a command that reads the database" c2c -C n status
mv n/c2c.db.away n/c2c.db
run 0 "c2c merge-tree of a commit with itself" c2c -C n merge-tree main main
same "its own tree" "$(cat "$T/out")" "$(git -C "$G" rev-parse 'main^{tree}')"
run 1 "a name that is not a commit" c2c -C n merge-tree main nosuchref
has "$T/err" "'nosuchref' is not a commit in repo.git" "the message names it"

finish
