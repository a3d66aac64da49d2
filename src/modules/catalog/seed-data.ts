/**
 * The demo catalog of `npm run seed`: a category tree and a few hundred books, movies and
 * goods, generated in code from fixed lists and a seeded PRNG, so every run (and every
 * machine) gets the same catalog without any network.
 */
import type { ProductFields } from './attributes.js';

export interface SeedCategory {
  slug: string;
  name: string;
  parent?: string;
}

export const SEED_CATEGORIES: SeedCategory[] = [
  { slug: 'books', name: 'Books' },
  { slug: 'fiction', name: 'Fiction', parent: 'books' },
  { slug: 'classics', name: 'Classics', parent: 'fiction' },
  { slug: 'science-fiction', name: 'Science fiction', parent: 'fiction' },
  { slug: 'polish-literature', name: 'Polish literature', parent: 'fiction' },
  { slug: 'non-fiction', name: 'Non-fiction', parent: 'books' },
  { slug: 'science', name: 'Science', parent: 'non-fiction' },
  { slug: 'philosophy', name: 'Philosophy', parent: 'non-fiction' },
  { slug: 'movies', name: 'Movies' },
  { slug: 'drama', name: 'Drama', parent: 'movies' },
  { slug: 'comedy', name: 'Comedy', parent: 'movies' },
  { slug: 'sci-fi-movies', name: 'Sci-fi', parent: 'movies' },
  { slug: 'thriller', name: 'Thriller', parent: 'movies' },
  { slug: 'animation', name: 'Animation', parent: 'movies' },
  { slug: 'electronics', name: 'Electronics' },
  { slug: 'audio', name: 'Audio', parent: 'electronics' },
  { slug: 'computers', name: 'Computers', parent: 'electronics' },
  { slug: 'accessories', name: 'Accessories', parent: 'computers' },
  { slug: 'home', name: 'Home' },
  { slug: 'kitchen', name: 'Kitchen', parent: 'home' },
  { slug: 'garden', name: 'Garden', parent: 'home' },
  { slug: 'sports', name: 'Sports and outdoors' },
];

// [title, author, first published, category]
const BOOKS: [string, string, number, string][] = [
  ['Pan Tadeusz', 'Adam Mickiewicz', 1834, 'polish-literature'],
  ['Lalka', 'Bolesław Prus', 1890, 'polish-literature'],
  ['Quo Vadis', 'Henryk Sienkiewicz', 1896, 'polish-literature'],
  ['Ogniem i mieczem', 'Henryk Sienkiewicz', 1884, 'polish-literature'],
  ['Potop', 'Henryk Sienkiewicz', 1886, 'polish-literature'],
  ['Krzyżacy', 'Henryk Sienkiewicz', 1900, 'polish-literature'],
  ['Chłopi', 'Władysław Reymont', 1904, 'polish-literature'],
  ['Ziemia obiecana', 'Władysław Reymont', 1899, 'polish-literature'],
  ['Faraon', 'Bolesław Prus', 1897, 'polish-literature'],
  ['Nad Niemnem', 'Eliza Orzeszkowa', 1888, 'polish-literature'],
  ['Przedwiośnie', 'Stefan Żeromski', 1924, 'polish-literature'],
  ['Ferdydurke', 'Witold Gombrowicz', 1937, 'polish-literature'],
  ['Solaris', 'Stanisław Lem', 1961, 'science-fiction'],
  ['The Cyberiad', 'Stanisław Lem', 1965, 'science-fiction'],
  ['His Master’s Voice', 'Stanisław Lem', 1968, 'science-fiction'],
  ['Fiasco', 'Stanisław Lem', 1986, 'science-fiction'],
  ['The Invincible', 'Stanisław Lem', 1964, 'science-fiction'],
  ['Frankenstein', 'Mary Shelley', 1818, 'science-fiction'],
  ['The Time Machine', 'H. G. Wells', 1895, 'science-fiction'],
  ['The War of the Worlds', 'H. G. Wells', 1898, 'science-fiction'],
  ['The Invisible Man', 'H. G. Wells', 1897, 'science-fiction'],
  ['Twenty Thousand Leagues Under the Seas', 'Jules Verne', 1870, 'science-fiction'],
  ['Journey to the Centre of the Earth', 'Jules Verne', 1864, 'science-fiction'],
  ['From the Earth to the Moon', 'Jules Verne', 1865, 'science-fiction'],
  ['R.U.R.', 'Karel Čapek', 1920, 'science-fiction'],
  ['We', 'Yevgeny Zamyatin', 1924, 'science-fiction'],
  ['Pride and Prejudice', 'Jane Austen', 1813, 'classics'],
  ['Sense and Sensibility', 'Jane Austen', 1811, 'classics'],
  ['Emma', 'Jane Austen', 1815, 'classics'],
  ['Persuasion', 'Jane Austen', 1817, 'classics'],
  ['Moby-Dick', 'Herman Melville', 1851, 'classics'],
  ['Bartleby, the Scrivener', 'Herman Melville', 1853, 'classics'],
  ['Great Expectations', 'Charles Dickens', 1861, 'classics'],
  ['A Tale of Two Cities', 'Charles Dickens', 1859, 'classics'],
  ['Oliver Twist', 'Charles Dickens', 1838, 'classics'],
  ['Bleak House', 'Charles Dickens', 1853, 'classics'],
  ['Jane Eyre', 'Charlotte Brontë', 1847, 'classics'],
  ['Wuthering Heights', 'Emily Brontë', 1847, 'classics'],
  ['Middlemarch', 'George Eliot', 1871, 'classics'],
  ['The Picture of Dorian Gray', 'Oscar Wilde', 1890, 'classics'],
  ['Crime and Punishment', 'Fyodor Dostoevsky', 1866, 'classics'],
  ['The Brothers Karamazov', 'Fyodor Dostoevsky', 1880, 'classics'],
  ['The Idiot', 'Fyodor Dostoevsky', 1869, 'classics'],
  ['Anna Karenina', 'Leo Tolstoy', 1878, 'classics'],
  ['War and Peace', 'Leo Tolstoy', 1869, 'classics'],
  ['Dead Souls', 'Nikolai Gogol', 1842, 'classics'],
  ['Madame Bovary', 'Gustave Flaubert', 1857, 'classics'],
  ['Les Misérables', 'Victor Hugo', 1862, 'classics'],
  ['The Count of Monte Cristo', 'Alexandre Dumas', 1844, 'classics'],
  ['The Three Musketeers', 'Alexandre Dumas', 1844, 'classics'],
  ['Don Quixote', 'Miguel de Cervantes', 1605, 'classics'],
  ['The Trial', 'Franz Kafka', 1925, 'classics'],
  ['The Castle', 'Franz Kafka', 1926, 'classics'],
  ['The Metamorphosis', 'Franz Kafka', 1915, 'classics'],
  ['Ulysses', 'James Joyce', 1922, 'classics'],
  ['Dubliners', 'James Joyce', 1914, 'classics'],
  ['Heart of Darkness', 'Joseph Conrad', 1899, 'classics'],
  ['Lord Jim', 'Joseph Conrad', 1900, 'classics'],
  ['Nostromo', 'Joseph Conrad', 1904, 'classics'],
  ['The Adventures of Huckleberry Finn', 'Mark Twain', 1884, 'classics'],
  ['The Adventures of Tom Sawyer', 'Mark Twain', 1876, 'classics'],
  ['Little Women', 'Louisa May Alcott', 1868, 'classics'],
  ['The Scarlet Letter', 'Nathaniel Hawthorne', 1850, 'classics'],
  ['Treasure Island', 'Robert Louis Stevenson', 1883, 'classics'],
  ['Strange Case of Dr Jekyll and Mr Hyde', 'Robert Louis Stevenson', 1886, 'classics'],
  ['Dracula', 'Bram Stoker', 1897, 'classics'],
  ['The Hound of the Baskervilles', 'Arthur Conan Doyle', 1902, 'classics'],
  ['A Study in Scarlet', 'Arthur Conan Doyle', 1887, 'classics'],
  ['Alice’s Adventures in Wonderland', 'Lewis Carroll', 1865, 'classics'],
  ['The Wind in the Willows', 'Kenneth Grahame', 1908, 'classics'],
  ['On the Origin of Species', 'Charles Darwin', 1859, 'science'],
  ['The Voyage of the Beagle', 'Charles Darwin', 1839, 'science'],
  ['Relativity: The Special and the General Theory', 'Albert Einstein', 1916, 'science'],
  ['Dialogue Concerning the Two Chief World Systems', 'Galileo Galilei', 1632, 'science'],
  ['Opticks', 'Isaac Newton', 1704, 'science'],
  ['The Chemical History of a Candle', 'Michael Faraday', 1861, 'science'],
  ['Experiments and Observations on Electricity', 'Benjamin Franklin', 1751, 'science'],
  ['Elements', 'Euclid', -300, 'science'],
  ['Meditations', 'Marcus Aurelius', 180, 'philosophy'],
  ['The Republic', 'Plato', -375, 'philosophy'],
  ['Nicomachean Ethics', 'Aristotle', -340, 'philosophy'],
  ['Beyond Good and Evil', 'Friedrich Nietzsche', 1886, 'philosophy'],
  ['Thus Spoke Zarathustra', 'Friedrich Nietzsche', 1883, 'philosophy'],
  ['Critique of Pure Reason', 'Immanuel Kant', 1781, 'philosophy'],
  ['Discourse on the Method', 'René Descartes', 1637, 'philosophy'],
  ['Leviathan', 'Thomas Hobbes', 1651, 'philosophy'],
  ['On Liberty', 'John Stuart Mill', 1859, 'philosophy'],
  ['The Prince', 'Niccolò Machiavelli', 1532, 'philosophy'],
  ['Walden', 'Henry David Thoreau', 1854, 'philosophy'],
];

// [title, director, year, runtime, genres, category]
const MOVIES: [string, string, number, number, string[], string][] = [
  ['Metropolis', 'Fritz Lang', 1927, 153, ['sci-fi', 'drama'], 'sci-fi-movies'],
  ['M', 'Fritz Lang', 1931, 117, ['thriller', 'crime'], 'thriller'],
  ['Nosferatu', 'F. W. Murnau', 1922, 94, ['horror'], 'thriller'],
  ['Sunrise', 'F. W. Murnau', 1927, 94, ['drama', 'romance'], 'drama'],
  ['The General', 'Buster Keaton', 1926, 78, ['comedy', 'action'], 'comedy'],
  ['Sherlock Jr.', 'Buster Keaton', 1924, 45, ['comedy'], 'comedy'],
  ['The Gold Rush', 'Charlie Chaplin', 1925, 95, ['comedy', 'adventure'], 'comedy'],
  ['City Lights', 'Charlie Chaplin', 1931, 87, ['comedy', 'romance'], 'comedy'],
  ['Modern Times', 'Charlie Chaplin', 1936, 87, ['comedy'], 'comedy'],
  ['The Great Dictator', 'Charlie Chaplin', 1940, 125, ['comedy', 'war'], 'comedy'],
  ['Battleship Potemkin', 'Sergei Eisenstein', 1925, 75, ['drama', 'history'], 'drama'],
  ['Man with a Movie Camera', 'Dziga Vertov', 1929, 68, ['documentary'], 'drama'],
  ['A Trip to the Moon', 'Georges Méliès', 1902, 13, ['sci-fi', 'fantasy'], 'sci-fi-movies'],
  ['The Cabinet of Dr. Caligari', 'Robert Wiene', 1920, 76, ['horror', 'mystery'], 'thriller'],
  ['The Passion of Joan of Arc', 'Carl Theodor Dreyer', 1928, 114, ['drama', 'history'], 'drama'],
  ['Casablanca', 'Michael Curtiz', 1942, 102, ['drama', 'romance'], 'drama'],
  ['Citizen Kane', 'Orson Welles', 1941, 119, ['drama', 'mystery'], 'drama'],
  ['The Third Man', 'Carol Reed', 1949, 104, ['thriller', 'noir'], 'thriller'],
  ['Rear Window', 'Alfred Hitchcock', 1954, 112, ['thriller', 'mystery'], 'thriller'],
  ['Vertigo', 'Alfred Hitchcock', 1958, 128, ['thriller', 'romance'], 'thriller'],
  ['North by Northwest', 'Alfred Hitchcock', 1959, 136, ['thriller', 'adventure'], 'thriller'],
  ['Psycho', 'Alfred Hitchcock', 1960, 109, ['thriller', 'horror'], 'thriller'],
  ['Some Like It Hot', 'Billy Wilder', 1959, 121, ['comedy', 'romance'], 'comedy'],
  ['The Apartment', 'Billy Wilder', 1960, 125, ['comedy', 'drama'], 'comedy'],
  ['Sunset Boulevard', 'Billy Wilder', 1950, 110, ['drama', 'noir'], 'drama'],
  ['Seven Samurai', 'Akira Kurosawa', 1954, 207, ['action', 'drama'], 'drama'],
  ['Rashomon', 'Akira Kurosawa', 1950, 88, ['drama', 'mystery'], 'drama'],
  ['Ikiru', 'Akira Kurosawa', 1952, 143, ['drama'], 'drama'],
  ['Tokyo Story', 'Yasujirō Ozu', 1953, 136, ['drama'], 'drama'],
  ['Bicycle Thieves', 'Vittorio De Sica', 1948, 89, ['drama'], 'drama'],
  ['La Strada', 'Federico Fellini', 1954, 108, ['drama'], 'drama'],
  ['8½', 'Federico Fellini', 1963, 138, ['drama', 'fantasy'], 'drama'],
  ['The Seventh Seal', 'Ingmar Bergman', 1957, 96, ['drama', 'fantasy'], 'drama'],
  ['Wild Strawberries', 'Ingmar Bergman', 1957, 91, ['drama'], 'drama'],
  ['Persona', 'Ingmar Bergman', 1966, 83, ['drama', 'psychological'], 'drama'],
  ['Breathless', 'Jean-Luc Godard', 1960, 90, ['crime', 'drama'], 'drama'],
  ['The 400 Blows', 'François Truffaut', 1959, 99, ['drama'], 'drama'],
  ['Ashes and Diamonds', 'Andrzej Wajda', 1958, 103, ['drama', 'war'], 'drama'],
  ['Man of Marble', 'Andrzej Wajda', 1977, 165, ['drama', 'history'], 'drama'],
  ['Knife in the Water', 'Roman Polański', 1962, 94, ['thriller', 'drama'], 'thriller'],
  ['Cruise', 'Marek Piwowski', 1970, 65, ['comedy'], 'comedy'],
  ['Sexmission', 'Juliusz Machulski', 1984, 121, ['comedy', 'sci-fi'], 'comedy'],
  ['Kingsize', 'Juliusz Machulski', 1987, 105, ['comedy', 'fantasy'], 'comedy'],
  ['Teddy Bear', 'Stanisław Bareja', 1981, 111, ['comedy'], 'comedy'],
  ['Dekalog', 'Krzysztof Kieślowski', 1989, 572, ['drama'], 'drama'],
  ['Three Colours: Blue', 'Krzysztof Kieślowski', 1993, 98, ['drama'], 'drama'],
  ['The Double Life of Véronique', 'Krzysztof Kieślowski', 1991, 98, ['drama', 'fantasy'], 'drama'],
  ['On the Silver Globe', 'Andrzej Żuławski', 1988, 166, ['sci-fi'], 'sci-fi-movies'],
  ['Solaris', 'Andrei Tarkovsky', 1972, 167, ['sci-fi', 'drama'], 'sci-fi-movies'],
  ['Stalker', 'Andrei Tarkovsky', 1979, 162, ['sci-fi', 'drama'], 'sci-fi-movies'],
  ['2001: A Space Odyssey', 'Stanley Kubrick', 1968, 149, ['sci-fi', 'adventure'], 'sci-fi-movies'],
  ['Dr. Strangelove', 'Stanley Kubrick', 1964, 95, ['comedy', 'war'], 'comedy'],
  ['Blade Runner', 'Ridley Scott', 1982, 117, ['sci-fi', 'noir'], 'sci-fi-movies'],
  ['Alien', 'Ridley Scott', 1979, 117, ['sci-fi', 'horror'], 'sci-fi-movies'],
  ['The Terminator', 'James Cameron', 1984, 107, ['sci-fi', 'action'], 'sci-fi-movies'],
  ['Back to the Future', 'Robert Zemeckis', 1985, 116, ['sci-fi', 'comedy'], 'sci-fi-movies'],
  ['Close Encounters of the Third Kind', 'Steven Spielberg', 1977, 135, ['sci-fi', 'drama'], 'sci-fi-movies'],
  ['Jaws', 'Steven Spielberg', 1975, 124, ['thriller', 'adventure'], 'thriller'],
  ['The Conversation', 'Francis Ford Coppola', 1974, 113, ['thriller', 'mystery'], 'thriller'],
  ['Chinatown', 'Roman Polański', 1974, 130, ['thriller', 'noir'], 'thriller'],
  ['Annie Hall', 'Woody Allen', 1977, 93, ['comedy', 'romance'], 'comedy'],
  ['Groundhog Day', 'Harold Ramis', 1993, 101, ['comedy', 'fantasy'], 'comedy'],
  ['My Neighbor Totoro', 'Hayao Miyazaki', 1988, 86, ['animation', 'family'], 'animation'],
  ['Spirited Away', 'Hayao Miyazaki', 2001, 125, ['animation', 'fantasy'], 'animation'],
  ['Princess Mononoke', 'Hayao Miyazaki', 1997, 134, ['animation', 'adventure'], 'animation'],
  ['Grave of the Fireflies', 'Isao Takahata', 1988, 89, ['animation', 'war'], 'animation'],
  ['Akira', 'Katsuhiro Otomo', 1988, 124, ['animation', 'sci-fi'], 'animation'],
  ['Snow White and the Seven Dwarfs', 'David Hand', 1937, 83, ['animation', 'family'], 'animation'],
  ['The Triplets of Belleville', 'Sylvain Chomet', 2003, 80, ['animation', 'comedy'], 'animation'],
  ['Toy Story', 'John Lasseter', 1995, 81, ['animation', 'family'], 'animation'],
];

// [brand, product line, category, base price in PLN]
const BRANDS = ['Nordlys', 'Kruk', 'Vistula', 'Ostoja', 'Tatra', 'Baltyk', 'Solvig', 'Marlin'];
const GOODS: [string, string, number][] = [
  ['Wireless Headphones', 'audio', 349],
  ['Bluetooth Speaker', 'audio', 199],
  ['Turntable', 'audio', 899],
  ['USB-C Hub', 'accessories', 129],
  ['Mechanical Keyboard', 'accessories', 389],
  ['Ergonomic Mouse', 'accessories', 149],
  ['27-inch Monitor', 'computers', 1299],
  ['Laptop Stand', 'accessories', 99],
  ['Chef’s Knife', 'kitchen', 259],
  ['Cast Iron Skillet', 'kitchen', 189],
  ['French Press', 'kitchen', 119],
  ['Espresso Grinder', 'kitchen', 549],
  ['Garden Hose 25 m', 'garden', 139],
  ['Pruning Shears', 'garden', 79],
  ['Trekking Poles', 'sports', 229],
  ['Yoga Mat', 'sports', 109],
  ['Camping Stove', 'sports', 179],
  ['Sleeping Bag', 'sports', 449],
  ['Headlamp', 'sports', 89],
  ['Water Bottle 1 l', 'sports', 59],
];

const ADJECTIVES = ['Classic', 'Pro', 'Compact', 'Travel', 'Studio', 'Everyday'];
const CURRENCIES = ['PLN', 'PLN', 'PLN', 'EUR', 'USD'];

/** mulberry32: a small seeded PRNG, so the catalog is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A checksum-valid ISBN-13 in the 978 range, derived from `n`. */
export function isbn13(n: number): string {
  const body = `978${String(83_000_000 + n * 7919)
    .padStart(9, '0')
    .slice(-9)}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

const slugify = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '-')
    .slice(0, 40);

/** Price in minor units: a base in PLN converted roughly, ending in 99. */
const priceIn = (pln: number, currency: string) => {
  const whole = currency === 'PLN' ? pln : Math.max(1, Math.round(pln / 4.3));
  return whole * 100 - 1;
};

/** The demo products, each naming its category by slug. */
export function seedProducts(): (Omit<ProductFields, 'categoryIds'> & { categorySlugs: string[] })[] {
  const random = prng(20_260_101);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)] as T;
  const stock = () => (random() < 0.1 ? 0 : 1 + Math.floor(random() * 120));
  const out: ReturnType<typeof seedProducts> = [];

  BOOKS.forEach(([title, author, year, category], i) => {
    const currency = pick(CURRENCIES);
    out.push({
      sku: `BK-${String(i + 1).padStart(4, '0')}-${slugify(title)}`.slice(0, 64),
      kind: 'book',
      name: title,
      description: `${title} by ${author}${year > 0 ? `, first published in ${year}` : ''}. A carefully typeset paperback edition with notes.`,
      priceCents: priceIn(29 + Math.floor(random() * 60), currency),
      currency,
      stock: stock(),
      status: 'active',
      imageIds: [],
      attributes: {
        author,
        isbn: isbn13(i + 1),
        publisher: pick(['Zaplecze Classics', 'Vistula Press', 'Ossolineum', 'Penguin Classics']),
        pages: 120 + Math.floor(random() * 700),
        publishedYear: year,
      },
      categorySlugs: [category],
    });
  });

  MOVIES.forEach(([title, director, year, runtimeMinutes, genres, category], i) => {
    const currency = pick(CURRENCIES);
    out.push({
      sku: `MV-${String(i + 1).padStart(4, '0')}-${slugify(title)}`.slice(0, 64),
      kind: 'movie',
      name: title,
      description: `${title} (${year}), directed by ${director}. Restored edition on Blu-ray with subtitles.`,
      priceCents: priceIn(39 + Math.floor(random() * 80), currency),
      currency,
      stock: stock(),
      status: 'active',
      imageIds: [],
      attributes: { director, year, runtimeMinutes, genres },
      categorySlugs: [category],
    });
  });

  let n = 0;
  for (const [line, category, base] of GOODS) {
    for (let k = 0; k < 4; k++) {
      n += 1;
      const brand = BRANDS[(n * 3 + k) % BRANDS.length] as string;
      const adjective = ADJECTIVES[(n + k) % ADJECTIVES.length] as string;
      const currency = pick(CURRENCIES);
      out.push({
        sku: `PR-${String(n).padStart(4, '0')}-${slugify(`${brand} ${line}`)}`.slice(0, 64),
        kind: 'product',
        name: `${brand} ${adjective} ${line}`,
        description: `The ${adjective.toLowerCase()} ${line.toLowerCase()} from ${brand}: built to last, two-year warranty.`,
        priceCents: priceIn(Math.round(base * (0.8 + random() * 0.6)), currency),
        currency,
        stock: stock(),
        status: random() < 0.03 ? 'archived' : 'active',
        imageIds: [],
        attributes: { brand },
        categorySlugs: [category],
      });
    }
  }
  return out;
}
