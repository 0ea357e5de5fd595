# bash completion for storctl(8).  Installed as
# share/bash-completion/completions/storctl.  tests/style/completion-check.sh
# checks it against every subcommand's --help (a new option or verb that is
# missing here fails the test).
# shellcheck shell=bash

_storctl_opts() { # the options of one command path ("" is the top level)
	case $1 in
	"") echo "--help --version --json --url" ;;
	restore) echo "--state-file" ;;
	"ramdisk create") echo "--logical-block-size --numa --prealloc --read-only --overcommit --index" ;;
	"cache create")
		echo "--cache --origin --mode --name --block-size --policy --tunable --high-watermark" \
			"--low-watermark --writeback-jobs --autocommit-blocks --autocommit-time" ;;
	"cache remove") echo "--force --timeout" ;;
	"nvmet port add") echo "--transport --address --interface --service --id" ;;
	"nvmet export") echo "--port --host --allow-any-host --nqn" ;;
	"nvmet unexport") echo "--host --port --allow-any-host" ;;
	"rnbd export") echo "--session --read-only" ;;
	"rnbd unexport") echo "--session" ;;
	"rnbd map") echo "--session --path --device --access --port --poll-queues" ;;
	"rnbd unmap") echo "--force" ;;
	"rdma link add") echo "--netdev --name" ;;
	esac
}

_storctl_subs() { # the subcommands of one command path
	case $1 in
	"") echo "ramdisk cache nvmet rdma rnbd restore" ;;
	ramdisk) echo "create list info resize remove" ;;
	cache) echo "create list stats remove" ;;
	nvmet) echo "port export unexport list" ;;
	"nvmet port") echo "add remove list" ;;
	rnbd) echo "export unexport map unmap list sessions" ;;
	rdma) echo "link" ;;
	"rdma link") echo "add delete list" ;;
	esac
}

_storctl_values() { # completions for the value of option $1 (none: return 1)
	case $1 in
	--logical-block-size) echo "512 4096" ;;
	--mode) echo "wt wa wb" ;;
	--policy) echo "s3fifo 2q clock lru fifo" ;;
	--transport) echo "tcp rdma loop" ;;
	--access) echo "ro rw migration" ;;
	--netdev) ls /sys/class/net 2>/dev/null ;;
	--device) compgen -G '/dev/*' | while read -r d; do [ -b "$d" ] && echo "$d"; done ;;
	--path) echo "ip:" ;;
	--session) ls /sys/class/stor-rnbd-client/ctl/sessions 2>/dev/null ;;
	--cache | --origin) compgen -G '/dev/*' | while read -r d; do [ -b "$d" ] && echo "$d"; done ;;
	--state-file) compgen -f -- "${COMP_WORDS[COMP_CWORD]}" ;;
	--url) echo "http://127.0.0.1:9118" ;;
	--interface) ls /sys/class/net 2>/dev/null ;;
	--numa | --index | --name | --block-size | --tunable | --high-watermark | --low-watermark | \
		--writeback-jobs | --autocommit-blocks | --autocommit-time | --timeout | --address | \
		--service | --id | --port | --host | --nqn) echo "" ;;
	*) return 1 ;;
	esac
}

_storctl_args() { # positional arguments of one command path
	case $1 in
	"ramdisk info" | "ramdisk resize" | "ramdisk remove")
		compgen -G '/sys/block/srd*' | sed 's|.*/||' ;;
	"cache stats" | "cache remove")
		compgen -G '/dev/mapper/*' | sed 's|.*/||' | grep -v '^control$' ;;
	"nvmet export" | "nvmet unexport" | "rnbd export" | "rnbd unexport")
		compgen -G '/dev/*' | while read -r d; do [ -b "$d" ] && echo "$d"; done ;;
	"rnbd unmap") compgen -G '/sys/block/srnbd*' | sed 's|.*/||' ;;
	"rdma link delete") ls /sys/class/infiniband 2>/dev/null ;;
	esac
}

_storctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local path="" w i subs vals
	# The command path: the subcommand words before the cursor.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -* ]] && continue
		subs=" $(_storctl_subs "$path") "
		if [[ $subs == *" $w "* ]]; then
			path=${path:+$path }$w
		fi
	done
	if [[ $prev == --* ]] && vals=$(_storctl_values "$prev"); then
		mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_storctl_opts "$path") --help --json" -- "$cur")
		return 0
	fi
	subs=$(_storctl_subs "$path")
	if [ -n "$subs" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -W "$(_storctl_args "$path")" -- "$cur")
	fi
	return 0
}
complete -F _storctl storctl
