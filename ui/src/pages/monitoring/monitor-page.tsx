/** `/monitoring/:name`: one monitor's page (see monitors-page.tsx). */
import { MonitorPage } from "./monitors-page";

export default MonitorPage;
