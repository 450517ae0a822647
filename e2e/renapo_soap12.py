"""The RENAPO simulator through a third-party, WSDL-driven SOAP client (zeep), on the WSDL's
SOAP 1.2 binding, as public clients of RENAPO's service use it. Usage:

    renapo_soap12.py WSDL_URL CA_FILE USER PASSWORD CURP

Prints the CURPStruct's status and the person's CURP; exits non-zero when anything fails.
"""

import sys
import xml.etree.ElementTree as ET

import requests
from zeep import Client
from zeep.transports import Transport

XSD = "{http://services.wserv.ecurp.dgti.segob.gob.mx/xsd}"


def main(wsdl, ca_file, user, password, curp):
    session = requests.Session()
    # Only the simulator's authority: the environment's CA bundle (REQUESTS_CA_BUNDLE) would
    # otherwise take precedence over the session's.
    session.trust_env = False
    session.verify = ca_file
    client = Client(wsdl, transport=Transport(session=session))
    service = client.bind("ConsultaPorCurpService", "ConsultaPorCurpServiceHttpsSoap12Endpoint")
    datos = client.get_type(XSD + "DatosConsultaCurp")(
        cveCurp=curp, usuario=user, password=password, tipoTransaccion=5
    )
    answer = service.consultarPorCurp(datos=datos)
    record = ET.fromstring(answer.encode("utf-8"))
    assert record.get("statusOper") == "EXITOSO", answer
    assert record.findtext("CURP") == curp, answer
    service.getConfirm(sessionID=record.get("SessionID"), Mssg="OK")
    print(f"SOAP 1.2 (zeep): {record.get('statusOper')} {record.findtext('CURP')}")


if __name__ == "__main__":
    main(*sys.argv[1:])
