# Bash completion for spritesim: verbs, trace's subverbs and each one's options (installed as
# share/bash-completion/completions/spritesim). tests/sim/test_experiments.py holds the tables below to the
# options each `spritesim VERB --help` names, both ways, so the two cannot drift.

_spritesim_verbs="run sweep reproduce calibrate policies trace validate host-profile agent migd rexec make status"
_spritesim_trace_subverbs="info generate import-ninja convert capture"

# Each verb's (and trace subverb's) options, as its --help lists them.
declare -A _spritesim_options=(
  [run]="--out --seed --set --timeline --cell --baseline-file"
  [sweep]="--out --jobs --shard --merge"
  [reproduce]="--out --jobs"
  [calibrate]="--profile --out"
  [policies]="--json --markdown"
  [validate]="--kind"
  [host-profile]="--out --name --remote-from --null-program --no-remote-path"
  [trace info]="--json"
  [trace generate]="--seed --out --size-cv --compiles --libraries --compile-cpu --compile-cv --library-cv --lookups --name --hosts --hours --rate --alpha --min-cpu --max-cpu"
  [trace import-ninja]="--out --deps --graph --name --profile"
  [trace convert]=""
  [trace capture]="--out --profile --name --shell --records --quiet --migd --secret --home"
  [agent]="--port --secret --idle-probe --owner-control --name --bind --loadavg --poll-ms --user --allow-root --handshake-timeout --max-unauthenticated"
  [migd]="--port --secret --agents --bind --policy --policy-params --policy-command --policy-timeout --state --out --input-threshold --handshake-timeout --max-unauthenticated"
  [rexec]="--migd --secret --home --no-stdin --quiet --migd-wait --require-remote"
  [make]="--migd --secret --home --shell --shell-flags --migd-wait --make --require-remote"
  [status]="--migd --secret --watch --json"
)

_spritesim()
{
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "$_spritesim_verbs --help --version" -- "$cur"))
    return
  fi
  local key=${COMP_WORDS[1]}
  if [[ $key == trace ]]; then
    if ((COMP_CWORD == 2)); then
      COMPREPLY=($(compgen -W "$_spritesim_trace_subverbs --help" -- "$cur"))
      return
    fi
    key="trace ${COMP_WORDS[2]}"
  fi
  # After "--" the words are a command's (rexec, make, trace capture): complete commands and files.
  local i
  for ((i = 2; i < COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} == -- ]]; then
      COMPREPLY=($(compgen -c -f -- "$cur"))
      return
    fi
  done
  case $prev in
    --kind) COMPREPLY=($(compgen -W "config sweep trace" -- "$cur")); return ;;
    --policy) COMPREPLY=($(compgen -W "$(spritesim policies --json 2>/dev/null | sed -n 's/^      "name": "\(.*\)",$/\1/p')" -- "$cur")); return ;;
    --out | --timeline | --to | --secret | --state | --records | --deps | --graph | --loadavg | --owner-control | \
      --baseline-file | --shell | --make | --null-program | --merge)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ $key == "trace generate" && $COMP_CWORD == 3 ]]; then
    COMPREPLY=($(compgen -W "kernel gremlin tex pmake synthetic processes" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_spritesim_options[$key]} --help" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _spritesim spritesim
