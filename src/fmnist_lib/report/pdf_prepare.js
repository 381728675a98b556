async ({title}) => {
  const problems = [];
  const sleep = ms => new Promise(done => setTimeout(done, ms));
  if (document.querySelector('.math')) {
    for (let waited = 0; !(window.MathJax && MathJax.startup && MathJax.startup.promise); waited += 100) {
      if (waited > 30000) { problems.push('MathJax did not load (is book/_vendor/mathjax there?)'); break; }
      await sleep(100);
    }
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  for (const el of document.querySelectorAll('.math')) {
    if (!el.querySelector('mjx-container')) problems.push('equation not typeset: ' + el.textContent.slice(0, 80));
  }
  for (const img of document.querySelectorAll('img')) {
    img.loading = 'eager';
    await img.decode().catch(() => null);
    if (!img.naturalWidth) problems.push('image did not load: ' + img.getAttribute('src'));
  }
  const article = document.querySelector('article.bd-article');
  if (!article) return problems.concat(['no article in the page: not a Jupyter Book page']);
  const parts = [article.querySelector(':scope > section')];
  for (const anchor of article.querySelectorAll('span[id^="document-"]')) {
    const section = anchor.nextElementSibling;
    if (!section || section.tagName !== 'SECTION') continue;
    article.append(section);  // each part whole: its anchor inside it, so nothing between two parts
    section.prepend(anchor);  // can spill onto a sheet of its own when a page ends at the foot of one
    for (const h of [...section.querySelectorAll('h2, h3, h4, h5, h6')]) {
      const up = document.createElement('h' + (Number(h.tagName[1]) - 1));
      for (const a of h.attributes) up.setAttribute(a.name, a.value);
      up.append(...h.childNodes);
      h.replaceWith(up);
    }
    parts.push(section);
  }
  for (const wrapper of article.querySelectorAll('.toctree-wrapper')) if (!wrapper.textContent.trim()) wrapper.remove();
  const contents = document.createElement('nav');
  contents.id = 'fmnist-pdf-contents';
  const heading = document.createElement('p'); heading.className = 'fmnist-pdf-title'; heading.textContent = title;
  const sub = document.createElement('p'); sub.className = 'fmnist-pdf-subtitle'; sub.textContent = 'Contents';
  const list = document.createElement('ol');
  for (const part of parts) {
    part.classList.add('fmnist-pdf-part');
    const h1 = part.querySelector('h1').cloneNode(true);
    h1.querySelectorAll('.headerlink').forEach(a => a.remove());
    const item = document.createElement('li');
    const link = document.createElement('a'); link.href = '#' + part.id; link.textContent = h1.textContent.trim();
    const leader = document.createElement('span'); leader.className = 'fmnist-pdf-leader';
    const number = document.createElement('span'); number.className = 'fmnist-pdf-page'; number.textContent = '000';  // room for the sheet numbers written later
    item.append(link, leader, number); list.append(item);
  }
  contents.append(heading, sub, list);
  article.prepend(contents);
  const width = article.getBoundingClientRect().right;
  for (const cell of article.querySelectorAll('th, td')) {  // snake_case may wrap at its underscores
    if (cell.children.length || !cell.textContent.includes('_')) continue;
    const words = cell.textContent.split('_');
    cell.replaceChildren(...words.flatMap((word, i) => i ? ['_', document.createElement('wbr'), word] : [word]));
  }
  for (const table of article.querySelectorAll('table')) {  // still too wide: scale it down to the sheet
    for (let round = 0; round < 3 && table.getBoundingClientRect().right > width + 1; round++) {
      const zoom = Number(table.style.zoom || 1) * width / table.getBoundingClientRect().right;
      table.style.zoom = zoom.toFixed(3);
    }
  }
  const all = [contents, ...parts];
  window.fmnistPdf = {
    parts: () => all.map(el => el.id),
    number: starts => {
      list.querySelectorAll('.fmnist-pdf-page').forEach((el, i) => { el.textContent = String(starts[i]); });
    },
  };
  return problems;
}
