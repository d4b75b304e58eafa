// Draws each figure's chart from its own table, so the chart and the numbers never differ.
(function () {
  'use strict';

  // Dark tones on white: each keeps at least 3:1 against the page (WCAG 1.4.11).
  const COLOURS = ['#0b5a7a', '#a3402a', '#2f6b3a', '#7a3b8f', '#6b5413', '#0f6a6a'];

  function readTable(table) {
    const headers = Array.from(table.querySelectorAll('thead th'));
    const series = [];
    headers.forEach(function (th, index) {
      if (th.dataset.series) series.push({ index: index, label: th.textContent.trim() });
    });
    const rows = Array.from(table.querySelectorAll('tbody tr')).filter(function (tr) {
      return !tr.dataset.total;
    });
    const labels = rows.map(function (tr) { return tr.querySelector('th').textContent.trim(); });
    const datasets = series.map(function (s, n) {
      return {
        label: s.label,
        backgroundColor: COLOURS[n % COLOURS.length],
        borderColor: '#ffffff',
        borderWidth: 1,
        data: rows.map(function (tr) {
          const cell = tr.children[s.index];
          const value = cell ? cell.dataset.value : '';
          return value === '' || value === undefined ? null : Number(value);
        }),
      };
    });
    return { labels: labels, datasets: datasets };
  }

  function draw(section) {
    const canvas = section.querySelector('canvas');
    const table = section.querySelector('table');
    if (!canvas || !table || !window.Chart) return;
    const kind = section.dataset.chart;
    const horizontal = kind === 'hbar-stacked';
    const stacked = kind === 'stacked' || horizontal;
    const size = parseFloat(getComputedStyle(document.documentElement).fontSize) || 18;
    window.Chart.defaults.font.size = Math.max(14, Math.round(size * 0.9));
    window.Chart.defaults.color = '#1a1a1a';
    const chart = new window.Chart(canvas, {
      type: 'bar',
      data: readTable(table),
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    section.dataset.chartReady = String(chart.data.datasets.length);
  }

  function start() {
    document.querySelectorAll('section[data-chart]').forEach(draw);
    document.documentElement.dataset.figuresReady = '1';
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
