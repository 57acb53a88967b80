// Caravan's live console: polls one JSON snapshot every second and redraws. No framework, no build step.
(function () {
  'use strict';

  var POLL_MS = 1000;
  var COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
  // the faults the page can inject into a simulated provider (the simulator's own fault format)
  var FAULTS = [
    {name: '503', title: 'answer 503 Service Unavailable', fault: {status: 503}},
    {name: '429', title: 'answer 429 with Retry-After: 5', fault: {status: 429, retry_after: 5}},
    {name: 'hang', title: 'never answer (the attempt times out)', fault: {mode: 'hang'}},
    {name: 'slow', title: '1.5 s latency, 0.5 s jitter', fault: {latency_ms: 1500, jitter_ms: 500}},
    {name: 'stream cut', title: 'cut streams after 3 pieces', fault: {stream: {cut_after: 3}}},
    {name: 'reset', title: 'close the connection before any header', fault: {mode: 'reset'}},
    {name: '30% 500', title: '500 on 30% of calls', fault: {status: 500, error_rate: 0.3}}
  ];
  var charts = {};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { node.textContent = attrs[k]; } else if (k === 'cls') { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function duration(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 60) { return s + ' s'; }
    if (s < 3600) { return Math.floor(s / 60) + ' min ' + (s % 60) + ' s'; }
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }

  function time(iso) {
    return new Date(iso).toLocaleTimeString();
  }

  function pct(v) {
    return v === null || v === undefined ? '–' : (v * 100).toFixed(1) + ' %';
  }

  function triple(p) {
    if (!p) { return '–'; }
    return [p.p50, p.p95, p.p99].map(function (v) { return Math.round(v); }).join(' / ');
  }

  function control(provider, fault) {
    var options = fault
      ? {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(fault)}
      : {method: 'DELETE'};
    return fetch('api/simulator/' + encodeURIComponent(provider) + '/fault', options)
      .then(function (r) { if (!r.ok) { return r.json().then(function (b) { throw new Error(b.error.message); }); } })
      .then(poll)
      .catch(function (e) { window.alert('The fault could not be set: ' + e.message); });
  }

  // a provider's card keeps its buttons between polls (a click never lands on a replaced node); its facts are redrawn
  var cards = {};

  function providerCard(id, simulator) {
    var entry = cards[id];
    if (entry && entry.simulator === simulator) { return entry; }
    var facts = el('div', {'data-role': 'facts'});
    var card = el('div', {cls: 'card', 'data-provider': id}, [facts]);
    if (simulator) {
      var controls = el('div', {cls: 'controls', 'data-role': 'controls'});
      FAULTS.forEach(function (f) {
        var b = el('button', {'data-fault': f.name, title: f.title, text: f.name});
        b.addEventListener('click', function () { control(id, f.fault); });
        controls.appendChild(b);
      });
      var heal = el('button', {cls: 'heal', 'data-action': 'heal', title: 'behave again', text: 'heal'});
      heal.addEventListener('click', function () { control(id, null); });
      controls.appendChild(heal);
      card.appendChild(controls);
    }
    cards[id] = {card: card, facts: facts, simulator: simulator};
    return cards[id];
  }

  function providerFacts(p) {
    var s = p.status;
    var facts = [
      el('h3', {}, [el('span', {text: s.id}), el('span', {cls: 'chip', text: s.dialect}),
        el('span', {cls: 'chip ' + (s.simulated ? 'sim' : ''), text: s.simulated ? 'simulated' : 'real'})]),
      el('div', {cls: 'row'}, [el('span', {cls: 'label', text: 'health'}),
        el('span', {cls: 'chip ' + s.health, 'data-role': 'health', text: s.health}),
        el('span', {cls: 'reason', text: p.health_reason + (s.last_probe ? ' · probed ' + time(s.last_probe) : '')})]),
      el('div', {cls: 'row'}, [el('span', {cls: 'label', text: 'breaker'}),
        el('span', {cls: 'chip ' + s.breaker, 'data-role': 'breaker', text: s.breaker}),
        el('span', {cls: 'reason', text: 'for ' + duration(p.breaker_for_ms)
          + (s.breaker_failure_rate !== undefined ? ' · failure rate ' + s.breaker_failure_rate.toFixed(0) + ' %' : '')})])
    ];
    var keys = el('ul', {cls: 'keys'});
    p.keys.forEach(function (k) {
      var text = k.label + ': ' + (k.cooldown_ms > 0 ? 'cooling down ' + duration(k.cooldown_ms) + ' (' + k.cooldown_reason + ')' : 'usable');
      if (k.rate_limits && k.rate_limits.headroom !== undefined) {
        text += ' · rate-limit headroom ' + pct(k.rate_limits.headroom);
      }
      keys.appendChild(el('li', {'data-role': 'key', text: text}));
    });
    if (!p.keys.length) { keys.appendChild(el('li', {text: 'no key: skipped by the router'})); }
    facts.push(keys);
    if (p.transitions.length) {
      var list = el('ul', {cls: 'transitions', 'data-role': 'transitions'});
      p.transitions.forEach(function (t) {
        list.appendChild(el('li', {text: time(t.at) + ' ' + t.kind + ' ' + t.from + ' → ' + t.to
          + (t.reason ? ' (' + t.reason + ')' : '')}));
      });
      facts.push(list);
    }
    if (p.fault) {
      facts.push(el('div', {cls: 'row'}, [el('span', {cls: 'label', text: 'fault'}),
        el('span', {cls: 'chip fault', 'data-role': 'fault', text: JSON.stringify(p.fault)})]));
    }
    return facts;
  }

  function renderProviders(snapshot) {
    var box = document.getElementById('providers');
    var shown = snapshot.providers.map(function (p) {
      var entry = providerCard(p.status.id, snapshot.simulator);
      entry.card.setAttribute('data-breaker', p.status.breaker);
      entry.card.setAttribute('data-health', p.status.health);
      entry.facts.replaceChildren.apply(entry.facts, providerFacts(p));
      return entry.card;
    });
    var same = shown.length === box.children.length && shown.every(function (c, i) { return box.children[i] === c; });
    if (!same) { box.replaceChildren.apply(box, shown); }
  }

  function renderTargets(snapshot) {
    var body = document.querySelector('#targets tbody');
    body.replaceChildren();
    snapshot.targets.forEach(function (t) {
      var failures = Object.keys(t.failures || {}).map(function (k) { return k + ' ' + t.failures[k]; }).join(', ');
      body.appendChild(el('tr', {'data-target': t.provider + ':' + t.model}, [
        el('td', {text: t.provider + ':' + t.model}), el('td', {text: t.requests_per_s.toFixed(2)}),
        el('td', {text: String(t.attempts)}), el('td', {text: pct(t.success_rate)}),
        el('td', {text: failures || '–'}), el('td', {text: triple(t.latency_ms)}), el('td', {text: triple(t.ttft_ms)})]));
    });
    document.getElementById('window').textContent = 'last ' + snapshot.window_s + ' s';
  }

  function renderFailovers(snapshot) {
    var list = document.getElementById('failovers');
    list.replaceChildren();
    snapshot.failovers.forEach(function (f) {
      list.appendChild(el('li', {'data-from': f.from, 'data-to': f.to, 'data-class': f.failure_class,
        text: time(f.at) + ' ' + f.alias + ': ' + f.from + ' → ' + f.to + ' (' + f.failure_class + ')'}));
    });
    document.getElementById('no-failovers').hidden = snapshot.failovers.length > 0;
  }

  function renderAliases(snapshot) {
    var box = document.getElementById('aliases');
    box.replaceChildren();
    snapshot.aliases.forEach(function (a) {
      var bar = el('div', {cls: 'bar'});
      var legend = [];
      a.split.forEach(function (s, i) {
        var colour = COLOURS[i % COLOURS.length];
        if (s.share > 0) {
          var part = el('span', {title: s.target + ': ' + s.served});
          part.style.width = (s.share * 100) + '%';
          part.style.background = colour;
          bar.appendChild(part);
        }
        legend.push(s.target + ' ' + Math.round(s.share * 100) + ' %');
      });
      box.appendChild(el('div', {'data-alias': a.alias}, [
        el('div', {text: a.alias + ' · ' + a.served + ' served'}), bar,
        el('div', {cls: 'legend', text: legend.join(' · ')})]));
    });
    document.getElementById('alias-window').textContent = 'last ' + snapshot.window_s + ' s';
  }

  function renderChart(id, series, times, step, digits) {
    var names = Object.keys(series);
    var data = [times].concat(names.map(function (n) { return series[n]; }));
    var box = document.getElementById(id);
    var key = names.join(',');
    if (!charts[id] || charts[id].key !== key) {
      if (charts[id]) { charts[id].plot.destroy(); }
      var options = {
        width: Math.max(300, box.clientWidth - 12), height: 200,
        series: [{}].concat(names.map(function (n, i) {
          return {label: n, stroke: COLOURS[i % COLOURS.length], width: 2,
            value: function (u, v) { return v === null ? '–' : v.toFixed(digits); }};
        })),
        axes: [{}, {size: 70, values: function (u, splits) {
          return splits.map(function (v) { return v === null ? '' : v.toFixed(digits ? 4 : 0); });
        }}]
      };
      charts[id] = {key: key, plot: new uPlot(options, data, box)};
    } else {
      charts[id].plot.setData(data);
    }
    document.getElementById(id.replace('-chart', '-step')).textContent = 'per ' + step + ' s';
  }

  function render(snapshot) {
    renderProviders(snapshot);
    document.getElementById('simulator').hidden = !snapshot.simulator;
    renderTargets(snapshot);
    renderFailovers(snapshot);
    renderAliases(snapshot);
    renderChart('tokens-chart', snapshot.series.tokens, snapshot.series.times, snapshot.series.step_s, 0);
    renderChart('cost-chart', snapshot.series.cost, snapshot.series.times, snapshot.series.step_s, 6);
  }

  function status(text, cls) {
    var live = document.getElementById('live');
    live.textContent = text;
    live.className = 'chip ' + cls;
  }

  function poll() {
    return fetch('api/snapshot', {cache: 'no-store'})
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (snapshot) {
        render(snapshot);
        status('live · ' + time(snapshot.at), 'live');
      })
      .catch(function (e) { status('no answer from the gateway (' + e.message + ')', 'stale'); });
  }

  function loop() {
    poll().then(function () { window.setTimeout(loop, POLL_MS); });
  }

  loop();
}());
