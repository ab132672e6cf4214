# Shared by the benchmark scripts (sourced, not run): the gateway configuration a replay
# benchmark uses, and the layout-only model most of them localize with.
# Expects: root (the package root), venue (a venue file relative to it), bin (the mallgate binary).

# layout_model OUT: OUT/model.mgm, an MLP trained from the venue's layout alone (made once, reused).
layout_model() {
    [ -s "$1/model.mgm" ] || "$bin" train --venue "$venue" --from-layout --folds 0 --models mlp --quiet --output "$1/model.mgm" >/dev/null
}

# replay_config OUT CAPTURES: OUT/gateway.toml for `mallgate replay` over the CAPTURES directory,
# model OUT/model.mgm, state in OUT/state, metrics off.
replay_config() {
    cat > "$1/gateway.toml" <<TOML
venue = "$root/$venue"
model = "$root/$1/model.mgm"
state_directory = "$root/$1/state"
[[sources]]
kind = "directory"
path = "$root/$2"
[metrics]
enabled = false
TOML
}
