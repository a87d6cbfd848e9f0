// GPT-Trader dashboard: draws the run, comparison and live session pages.
// Each page marks body[data-charts] with the charts it drew and each chart's
// element with data-points (points drawn), which the browser tests read.
(function () {
  'use strict';
  var body = document.body;
  var payloadElement = document.getElementById('payload');
  var data = payloadElement ? JSON.parse(payloadElement.textContent) : null;

  var toTime = function (text) {
    return Math.floor(Date.parse(text.length === 10 ? text + 'T00:00:00Z' : text.replace(' ', 'T') + 'Z') / 1000);
  };
  var money = function (v) { return v === null || v === undefined ? '–' : Number(v).toFixed(2); };
  var cell = function (row, text, numeric) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '–' : String(text);
    if (numeric) { td.className = 'num'; }
    row.appendChild(td);
  };
  var fillTable = function (id, headers, rows, numeric) {
    var table = document.getElementById(id);
    if (!table) { return; }
    table.textContent = '';
    var head = document.createElement('tr');
    headers.forEach(function (h) { var th = document.createElement('th'); th.textContent = h; head.appendChild(th); });
    table.appendChild(head);
    rows.forEach(function (values) {
      var tr = document.createElement('tr');
      values.forEach(function (v, i) { cell(tr, v, numeric && numeric[i]); });
      table.appendChild(tr);
    });
    table.dataset.rows = String(rows.length);
  };
  document.querySelectorAll('td.signed').forEach(function (td) {
    var v = Number(td.dataset.value);
    if (v > 0) { td.classList.add('pos'); } else if (v < 0) { td.classList.add('neg'); }
  });

  // Charts, linked: zooming or moving the crosshair on one moves the others.
  var charts = [];
  var syncing = false;
  var chart = function (id, daily) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var c = LightweightCharts.createChart(el, {
      width: el.clientWidth, height: el.clientHeight,
      layout: { background: { color: '#ffffff' }, textColor: '#1d2733' },
      timeScale: { timeVisible: !daily, minBarSpacing: 0.001 }, rightPriceScale: { borderVisible: false }
    });
    var entry = { chart: c, el: el, series: null };
    charts.forEach(function (other) {
      [[c, other.chart], [other.chart, c]].forEach(function (pair) {
        pair[0].timeScale().subscribeVisibleTimeRangeChange(function (range) {
          if (syncing || !range) { return; }
          syncing = true;
          try { pair[1].timeScale().setVisibleRange(range); } catch (e) { /* a range outside the other's data */ }
          syncing = false;
        });
      });
    });
    c.subscribeCrosshairMove(function (param) {
      charts.forEach(function (other) {
        if (other === entry || !other.series) { return; }
        if (param.time === undefined) { other.chart.clearCrosshairPosition(); return; }
        try { other.chart.setCrosshairPosition(0, param.time, other.series); } catch (e) { /* no point there */ }
      });
    });
    charts.push(entry);
    window.addEventListener('resize', function () { c.applyOptions({ width: el.clientWidth }); });
    body.dataset.charts = String(charts.length);
    return entry;
  };
  var draw = function (entry, series, points) {
    if (!entry) { return; }
    series.setData(points);
    if (!entry.series) { entry.series = series; }
    entry.el.dataset.points = String(points.length);
  };

  var runPage = function (view) {
    var chartData = view.chart;
    var equityPoints = view.run.equity || [];
    var times = equityPoints.map(function (p) { return toTime(p.time); });
    var daily = chartData ? chartData.daily : true;

    var equity = chart('equity', daily);
    var line = equity.chart.addLineSeries({ color: '#1f6feb', lineWidth: 2 });
    draw(equity, line, equityPoints.map(function (p, i) { return { time: times[i], value: p.equity }; }));
    if (chartData && chartData.benchmark.length === equityPoints.length && equityPoints.length > 0) {
      var scale = equityPoints[0].equity / chartData.benchmark[0];
      equity.chart.addLineSeries({ color: '#9aa5b1', lineWidth: 1 })
        .setData(chartData.benchmark.map(function (v, i) { return { time: times[i], value: v * scale }; }));
    }

    var drawdown = chart('drawdown', daily);
    draw(drawdown, drawdown.chart.addAreaSeries({ lineColor: '#d1242f', topColor: 'rgba(209,36,47,0.05)', bottomColor: 'rgba(209,36,47,0.35)', lineWidth: 1 }),
      equityPoints.map(function (p, i) { return { time: times[i], value: p.drawdown_pct }; }));

    var price = chart('price', daily);
    if (chartData && chartData.price) {
      var priceData = chartData.price;
      document.getElementById('price-title').textContent = 'Price and trades: ' + priceData.symbol;
      var priceLine;
      if (priceData.opens.length === priceData.closes.length && priceData.closes.length > 0) {
        var candles = [];
        var volumes = [];
        priceData.closes.forEach(function (close, i) {
          if (close === null || priceData.opens[i] === null) { return; }
          var up = close >= priceData.opens[i];
          candles.push({ time: times[i], open: priceData.opens[i], high: priceData.highs[i], low: priceData.lows[i], close: close });
          if (priceData.volumes[i] !== null) {
            volumes.push({ time: times[i], value: priceData.volumes[i], color: up ? 'rgba(26,127,55,0.35)' : 'rgba(209,36,47,0.35)' });
          }
        });
        // Volume in the bottom fifth, on a scale of its own.
        var volume = price.chart.addHistogramSeries({ priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
        price.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
        volume.setData(volumes);
        price.el.dataset.volumes = String(volumes.length);
        priceLine = price.chart.addCandlestickSeries({ upColor: '#1a7f37', downColor: '#d1242f', borderVisible: false, wickUpColor: '#1a7f37', wickDownColor: '#d1242f' });
        price.chart.priceScale('right').applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
        draw(price, priceLine, candles);
        price.el.dataset.candles = String(candles.length);
      } else {
        // A run stored before its bars were kept: the closes only.
        var closes = [];
        priceData.closes.forEach(function (v, i) { if (v !== null) { closes.push({ time: times[i], value: v }); } });
        priceLine = price.chart.addLineSeries({ color: '#1d2733', lineWidth: 1 });
        draw(price, priceLine, closes);
      }
      var palette = ['#1f6feb', '#bf8700', '#8250df', '#0a7d8c', '#cf222e', '#57606a'];
      var pane = null;
      var overlays = 0;
      var paneLines = 0;
      (priceData.indicators || []).forEach(function (line, n) {
        var points = [];
        line.values.forEach(function (v, i) { if (v !== null) { points.push({ time: times[i], value: v }); } });
        var options = { color: palette[n % palette.length], lineWidth: 1, priceLineVisible: false, lastValueVisible: false, title: line.key };
        if (line.overlay) {
          price.chart.addLineSeries(options).setData(points);
          overlays += 1;
        } else {
          pane = pane || chart('indicators', daily);
          if (!pane) { return; }
          draw(pane, pane.chart.addLineSeries(options), points);
          paneLines += 1;
          var item = document.createElement('span');
          item.className = 'legend';
          item.style.color = options.color;
          item.textContent = '■ ' + line.key + ' ';
          document.getElementById('indicators-legend').appendChild(item);
        }
      });
      price.el.dataset.overlays = String(overlays);
      if (pane) { pane.el.dataset.lines = String(paneLines); }
      var markers = [];
      (view.run.trades || []).forEach(function (t) {
        if (t.symbol !== chartData.price.symbol) { return; }
        var long = t.size > 0;
        markers.push({ time: toTime(t.entry_time), position: long ? 'belowBar' : 'aboveBar', color: long ? '#1a7f37' : '#d1242f', shape: long ? 'arrowUp' : 'arrowDown' });
        markers.push({ time: toTime(t.exit_time), position: 'inBar', color: t.pnl >= 0 ? '#1a7f37' : '#d1242f', shape: 'circle' });
      });
      markers.sort(function (a, b) { return a.time - b.time; });
      priceLine.setMarkers(markers);
      price.el.dataset.markers = String(markers.length);
    }

    var pnl = chart('trade-pnl', daily);
    var byExit = {};
    (view.run.trades || []).forEach(function (t) { var k = toTime(t.exit_time); byExit[k] = (byExit[k] || 0) + t.pnl; });
    var bars = Object.keys(byExit).map(Number).sort(function (a, b) { return a - b; })
      .map(function (k) { return { time: k, value: byExit[k], color: byExit[k] >= 0 ? '#1a7f37' : '#d1242f' }; });
    draw(pnl, pnl.chart.addHistogramSeries({}), bars);

    var volatility = chart('volatility', daily);
    var vol = [];
    view.profile.rolling_volatility_pct.forEach(function (v, i) { if (v !== null) { vol.push({ time: times[i], value: v }); } });
    draw(volatility, volatility.chart.addLineSeries({ color: '#8250df', lineWidth: 1 }), vol);
    charts.forEach(function (c) { c.chart.timeScale().fitContent(); });
  };

  var comparePage = function (runs) {
    var colours = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bf8700'];
    var entry = chart('compare-chart', true);
    var legend = document.getElementById('compare-legend');
    runs.forEach(function (run, n) {
      var points = run.equity || [];
      if (points.length === 0) { return; }
      var first = points[0].equity;
      var series = entry.chart.addLineSeries({ color: colours[n % colours.length], lineWidth: 2 });
      draw(entry, series, points.map(function (p) { return { time: toTime(p.time), value: p.equity / first * 100 }; }));
      var item = document.createElement('div');
      item.className = 'legend';
      item.style.color = colours[n % colours.length];
      item.textContent = '■ ' + run.label;
      legend.appendChild(item);
    });
    entry.el.dataset.series = String(runs.length);
    entry.chart.timeScale().fitContent();
  };

  var runsPage = function () {
    var button = document.getElementById('compare');
    if (!button) { return; }
    var checked = function () {
      return Array.prototype.map.call(document.querySelectorAll('#runs input[type=checkbox]:checked'), function (b) { return b.value; });
    };
    document.getElementById('runs').addEventListener('change', function () {
      var n = checked().length;
      button.disabled = n < 2 || n > 5;
    });
    button.addEventListener('click', function () { window.location = '/compare?ids=' + checked().join(','); });
  };

  var livePage = function (root) {
    var name = root.dataset.session;
    var csrf = document.querySelector('meta[name=csrf-token]').content;
    var entry = chart('session-equity', false);
    var series = entry.chart.addLineSeries({ color: '#1f6feb', lineWidth: 2 });
    var drawn = 0;
    var last = null;
    var add = function (points) {
      points.forEach(function (p) {
        var t = Math.floor(p[0] / 1000);
        if (last !== null && t <= last) { return; }
        series.update({ time: t, value: p[1] });
        last = t;
        drawn += 1;
      });
      entry.el.dataset.points = String(drawn);
      if (!entry.series) { entry.series = series; }
    };
    var text = function (id, value) { document.getElementById(id).textContent = value; };
    var show = function (s) {
      var state = s.halted && s.state === 'running' ? 'running (halted)' : s.state;
      var badge = document.getElementById('state');
      badge.textContent = state;
      badge.className = 'state ' + s.state + (s.halted ? ' halted' : '');
      text('updated', 'bar ' + s.steps_done + (s.time ? ' at ' + s.time : '') + ', updated ' + new Date().toLocaleTimeString());
      text('equity', money(s.equity));
      text('cash', money(s.cash));
      text('pnl-today', money(s.realized_pnl_today));
      text('pnl-total', money(s.realized_pnl_total));
      text('bars', String(s.steps_done));
      text('halted', s.halted ? 'ON: ' + (s.halt_reason || '') : 'off');
      text('mismatches', String(s.reconciliation_mismatches || 0));
      root.dataset.steps = String(s.steps_done);
      root.dataset.halted = String(!!s.halted);
      root.dataset.trades = String(s.closed_trades || 0);
      fillTable('positions', ['Symbol', 'Qty', 'Avg entry', 'Value', 'Unrealized'],
        (s.positions || []).map(function (p) { return [p.symbol, p.qty, money(p.avg_entry_price), money(p.market_value), money(p.unrealized_pnl)]; }),
        [false, true, true, true, true]);
      fillTable('orders', ['Client id', 'Symbol', 'Side', 'Qty', 'Type', 'Status'],
        (s.open_orders || []).map(function (o) { return [o.client_order_id, o.symbol, o.side, o.qty, o.type, o.status]; }));
      fillTable('fills', ['Time', 'Symbol', 'Side', 'Qty', 'Price'],
        s.recent_fills.slice().reverse().map(function (f) { return [new Date(f.time_ms).toISOString().replace('T', ' ').slice(0, 19), f.symbol, f.side, f.qty, f.price]; }),
        [false, false, false, true, true]);
      fillTable('commands', ['Sent', 'Command', 'From', 'Reason', 'Applied after bar'],
        s.commands.slice().reverse().map(function (c) { return [new Date(c.time_ms).toISOString().replace('T', ' ').slice(0, 19), c.command, c.origin, c.reason, c.applied_step === null ? 'pending' : c.applied_step + 1]; }));
    };
    var events = new EventSource('/api/v1/sessions/' + encodeURIComponent(name) + '/events');
    events.addEventListener('status', function (e) {
      var s = JSON.parse(e.data);
      add(s.equity_curve);
      show(s);
    });
    events.addEventListener('error', function (e) {
      if (e.data) { text('updated', JSON.parse(e.data).error); events.close(); }
    });
    document.querySelectorAll('.controls button').forEach(function (button) {
      button.addEventListener('click', function () {
        if (!window.confirm(button.dataset.confirm)) { return; }
        var result = document.getElementById('command-result');
        result.textContent = 'sending…';
        fetch('/api/v1/sessions/' + encodeURIComponent(name) + '/commands', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({ command: button.dataset.command })
        }).then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); }).then(function (answer) {
          result.textContent = answer[0] === 202
            ? '`' + answer[1].command + '` queued (#' + answer[1].seq + '); the session applies it after its current bar.'
            : answer[1].error;
          result.dataset.status = String(answer[0]);
        });
      });
    });
  };

  var live = document.getElementById('live');
  if (live) { livePage(live); } else if (document.getElementById('compare-chart') && data) { comparePage(data); } else if (data && data.run) { runPage(data); } else { runsPage(); }
})();
