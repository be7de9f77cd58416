// The courier's page (issue #14) will live here, on the same API client and stylesheet.
import { render } from 'preact';
import '../style.css';

function Placeholder() {
  return (
    <main class="signin">
      <h1>Касса · курьер</h1>
      <p>Страница курьера ещё в работе. Пока заказы и оплаты оформляет офис.</p>
    </main>
  );
}

render(<Placeholder />, document.getElementById('app')!);
